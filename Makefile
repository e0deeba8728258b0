# xsigo-linux: host drivers for virtual I/O over RDMA, their software director and VM harness.
#
#   make demo        the product working end to end in two VMs (installs what it needs)
#   make test        every test: codegen, builds for every matrix kernel, the VM suite
#   make modules     build the modules against KDIR=<kernel build or headers tree>,
#                    or a matrix kernel (KERNEL=<id>|all, default: ci/kernels.toml's default)
#   make gen         regenerate code from specs/;  make gen-check: fail when it is stale
#   make lint        ruff on the Python code
#   make bench       measure xsvnic/xsvhba beside the link's limits and ib_srp, nvme-rdma
#                    (bench/results/; BENCH_ARGS=--quick to try it out)
#   make soak        faults at random intervals under verified I/O for SOAK_MINUTES (default 60),
#                    then module load/unload cycles (SOAK_CYCLES, default 100), on KERNEL;
#                    figures in bench/results/soak.{json,md} and the README
#   make dkms-check  install the modules through DKMS inside a guest (KERNEL=<id>; default: the default kernel)
#
# KERNEL_TREE=<path> runs test, demo, bench or soak on a kernel tree you built (make bzImage
# modules; in place or O=) instead of the matrix's kernels.

PY := .venv/bin/python
KERNEL ?=
KDIR ?=
KERNEL_TREE ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=
SOAK_MINUTES ?= 60
SOAK_CYCLES ?= 100

kernel_arg = $(if $(KERNEL),--kernel $(KERNEL)) $(if $(KERNEL_TREE),--kernel-tree $(KERNEL_TREE))

.PHONY: all setup modules gen gen-check lint test check dkms-check demo bench soak matrix clean

all: modules

setup:
	@sh harness/bootstrap.sh

modules: setup
	$(PY) -m harness modules $(if $(KDIR),--kdir $(KDIR),$(kernel_arg))

gen: setup
	$(PY) -m xsgen

gen-check: setup
	$(PY) -m xsgen --check

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

test: setup gen-check lint
	$(PY) -m pytest $(if $(KERNEL_TREE),--kernel-tree $(KERNEL_TREE)) $(PYTEST_ARGS)

check: setup
	$(PY) -m pytest tests/kbuild --kernel $(or $(KERNEL),all)

dkms-check: setup
	$(PY) -m pytest tests/vm/test_dkms.py --kernel $(or $(KERNEL),default)

demo: setup
	$(PY) -m harness demo $(kernel_arg)

bench: setup
	@sh harness/bootstrap.sh bench
	$(PY) -m harness bench $(kernel_arg) $(BENCH_ARGS)

soak: setup
	$(PY) -m harness soak $(kernel_arg) --minutes $(SOAK_MINUTES) --module-cycles $(SOAK_CYCLES)

matrix: setup
	$(PY) -m harness matrix --run $(if $(KERNEL),--kernel $(KERNEL))

clean:
	rm -rf build artifacts
