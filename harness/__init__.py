"""Build-and-test harness for xsigo-linux: kernels, guest images, QEMU fabrics, consoles."""
