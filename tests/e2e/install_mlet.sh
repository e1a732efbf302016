#!/bin/sh
# install_mlet: the README's "Writing your own mlet" procedure, followed
# literally: install into a fresh prefix, copy the installed examples, build
# my_first_mlet with Makefile.example through pkg-config, then run it with
# the INSTALLED pktlab-cred, pktxpmgr and pktlab-endpoint on loopback.
. "$(dirname "$0")/xpmgr_lib"

P=$T/prefix
cmake --install "$PL_BUILD_DIR" --prefix "$P" >"$T/install.log" || fail "cmake --install"
for f in bin/pktxpmgr bin/pktlab-endpoint bin/pktlab-cred include/pktlab/pktlab.h \
    share/man/man1/pktxpmgr.1 share/man/man7/pktlab-mlets.7 \
    share/pktxpmgr/conf/xpmgr.conf.template share/pktxpmgr/example_mlets/Makefile.example; do
	[ -e "$P/$f" ] || fail "not installed: $f"
done
pc=$(find "$P" -name pktlab-mlet.pc)
[ -n "$pc" ] || fail "pktlab-mlet.pc not installed"

cp -r "$P/share/pktxpmgr/example_mlets" "$T/mlets"
# A sanitizer build installs sanitized libraries: link their runtime too.
flags="-O2 -Wall -Wextra"
if grep -q '^PKTXP_SANITIZE:BOOL=ON' "$PL_BUILD_DIR/CMakeCache.txt"; then
	flags="$flags -fsanitize=address,undefined"
fi
(cd "$T/mlets" && rm -f my_first_mlet &&
    PKG_CONFIG_PATH=$(dirname "$pc") make -f Makefile.example CFLAGS="$flags") \
    >"$T/make.log" 2>&1 || fail "make -f Makefile.example"
[ -x "$T/mlets/my_first_mlet" ] || fail "my_first_mlet was not built"

# The installed programs run it.
XPMGR=$P/bin/pktxpmgr
CRED=$P/bin/pktlab-cred
ENDPOINT=$P/bin/pktlab-endpoint
xp_pki
PORT=$(xp_port)
xp_start -c "$CONF" -a "127.0.0.1:$PORT" -n 1 "$T/mlets/my_first_mlet"
xp_endpoint "$PORT" 2>"$T/endpoint.log" || fail "pktlab-endpoint failed"
xp_expect_exit 0 10
expect_grep '^endpoint 127\.0\.0\.1' "$T/mlet.out"
expect_grep 'session done \(mlet closed its socket\).*mlet exit 0' "$T/xpmgr.log"
echo "ok"
