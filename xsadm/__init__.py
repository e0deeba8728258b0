"""xsadm: the host administrator's view of xscore's XSMP links and the virtual devices on them."""
