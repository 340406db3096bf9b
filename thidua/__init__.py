"""thidua: software that runs a peak emulation campaign for chip-based citizen ID cards."""
