"""One template per register-tiled kernel family, for tools/gen_tiles.py."""
