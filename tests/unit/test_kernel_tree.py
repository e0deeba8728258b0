"""`--kernel-tree`: a developer's built tree is checked before anything boots (each missing
file or option named), then staged in the cache as a kernel like the matrix's."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import kernel_tree, kernels

GUEST = kernel_tree.GUEST_FRAGMENT.read_text()
# What our modules' Kconfig asks of a kernel, beyond the guests' fragment.
OURS = "CONFIG_KEYS=y\nCONFIG_AUXILIARY_BUS=y\nCONFIG_NETDEVICES=y\nCONFIG_INET=y\n"
RELEASE = "7.3.0-rc1-dev"
# modules_install as kbuild does it, for a tree with one module.
MAKEFILE = """modules_install:
\tmkdir -p $(INSTALL_MOD_PATH)/lib/modules/$$(cat include/config/kernel.release)/kernel
\ttouch $(INSTALL_MOD_PATH)/lib/modules/$$(cat include/config/kernel.release)/kernel/rdma_rxe.ko
"""


def built_tree(root: Path, config: str = GUEST + OURS) -> Path:
    tree = root / "linux"
    (tree / "arch/x86/boot").mkdir(parents=True)
    (tree / "include/config").mkdir(parents=True)
    (tree / kernel_tree.BZIMAGE).write_bytes(b"bzImage")
    (tree / kernel_tree.RELEASE).write_text(RELEASE + "\n")
    (tree / ".config").write_text(config)
    for name in ("Module.symvers", "System.map"):
        (tree / name).write_text("")
    (tree / "Makefile").write_text(MAKEFILE)
    return tree


def test_a_tree_with_the_guests_and_our_options_is_accepted(tmp_path: Path) -> None:
    assert kernel_tree.problems(built_tree(tmp_path)) == []


def test_an_unbuilt_tree_is_refused_naming_what_the_build_leaves(tmp_path: Path) -> None:
    tree = built_tree(tmp_path)
    (tree / kernel_tree.BZIMAGE).unlink()
    (tree / "Module.symvers").unlink()
    (found,) = kernel_tree.problems(tree)
    assert "lacks arch/x86/boot/bzImage, Module.symvers: build it first" in found
    assert kernel_tree.problems(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'} is not a directory"
    ]


def test_each_missing_option_is_named_with_what_the_tree_has(tmp_path: Path) -> None:
    config = (GUEST + OURS).replace("CONFIG_RDMA_RXE=m", "# CONFIG_RDMA_RXE is not set")
    config = config.replace("CONFIG_VIRTIO_BLK=y", "CONFIG_VIRTIO_BLK=m")
    config = config.replace("CONFIG_KEYS=y", "")
    found = kernel_tree.problems(built_tree(tmp_path, config))
    assert any(p.startswith("our modules: INFINIBAND_XSCORE depends on") for p in found), found
    (guests,) = [p for p in found if p.startswith("the guests need")]
    # Stage 1 needs the block driver built in; a module will do for the rest.
    assert "CONFIG_VIRTIO_BLK=y (the tree has m)" in guests
    assert "CONFIG_RDMA_RXE=m (the tree has n)" in guests
    assert "merge_config.sh" in guests


def test_a_built_in_option_satisfies_one_wanted_as_a_module(tmp_path: Path) -> None:
    config = (GUEST + OURS).replace("CONFIG_RDMA_RXE=m", "CONFIG_RDMA_RXE=y")
    assert kernel_tree.missing_guest_options(built_tree(tmp_path, config) / ".config") == []


def test_a_tree_is_staged_once_per_content_with_itself_as_the_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XSIGO_CACHE", str(tmp_path / "cache"))
    tree = built_tree(tmp_path)
    spec = kernels.spec_of(kernel_tree.kernel_id(tree))
    assert (spec.release, spec.tree) == (RELEASE, str(tree))
    kernel = kernels.fetch(spec)
    assert kernel.release == RELEASE
    assert kernel.vmlinuz.read_bytes() == b"bzImage"
    assert kernel.config.read_text() == (tree / ".config").read_text()
    assert kernel.kdir.resolve() == tree.resolve()
    assert (kernel.modules_root / RELEASE / "kernel" / "rdma_rxe.ko").is_file()
    assert kernels.fetch(spec).root == kernel.root  # staged already
    (tree / kernel_tree.BZIMAGE).write_bytes(b"rebuilt")
    assert kernels.fetch(spec).root != kernel.root
    assert not list((tmp_path / "cache" / "kernels").glob("*.partial"))


def test_a_module_rebuilt_alone_stages_the_tree_again(tmp_path: Path) -> None:
    tree = built_tree(tmp_path)
    module = tree / "drivers/infiniband/sw/rxe/rdma_rxe.ko"
    module.parent.mkdir(parents=True)
    module.write_bytes(b"one")
    (tree / "modules.order").write_text("drivers/infiniband/sw/rxe/rdma_rxe.o\n")
    before = kernel_tree.key(tree, RELEASE)
    module.write_bytes(b"two!")
    assert kernel_tree.key(tree, RELEASE) != before


def test_options_the_harness_cannot_work_with_are_refused(tmp_path: Path) -> None:
    config = GUEST + OURS + "CONFIG_MODULE_SIG_FORCE=y\nCONFIG_MODULE_COMPRESS_ZSTD=y\n"
    found = kernel_tree.problems(built_tree(tmp_path, config))
    assert "CONFIG_MODULE_SIG_FORCE=y: our modules are not signed with the tree's key" in found
    assert any(p.startswith("CONFIG_MODULE_COMPRESS_ZSTD=y") for p in found), found


def test_a_refused_tree_is_one_line_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness import cli

    assert cli.main(["kdir", "--kernel-tree", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"harness: kernel tree {tmp_path}: ") and err.count("\n") == 1, err
