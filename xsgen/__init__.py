"""xsgen: wire-message specs (specs/*.yaml) to C headers, Python codecs and protocol docs."""
