#!/bin/sh
# pkg-config for the Debian packages that tools/device-deps.sh unpacked into $LSFA_DEPS_PREFIX: their
# .pc files name /usr as the prefix, so every path is moved under the unpacked folder.
exec pkg-config --define-prefix --define-variable=prefix="$LSFA_DEPS_PREFIX/usr" "$@"
