// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xs_splat: a deliberately bad module for the harness's self-test.
 *
 * It warns once when loaded and then behaves, so the kernel-log scanner
 * can be shown to catch a real WARNING splat; a scanner that never fires
 * would otherwise pass every test silently.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init xs_splat_init(void)
{
	WARN(1, "xs_splat: deliberate warning for the log scanner self-test\n");
	return 0;
}

static void __exit xs_splat_exit(void)
{
}

module_init(xs_splat_init);
module_exit(xs_splat_exit);

MODULE_DESCRIPTION("Deliberate kernel warning for the xsigo-linux test harness");
MODULE_LICENSE("Dual BSD/GPL");
