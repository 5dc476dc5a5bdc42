#!/usr/bin/env bash
# Builds the Debian package (ofs_<version>_<arch>.deb in build-deb/): installs what is
# missing, builds without tests for prefix /usr, then CPack. Install it with
#   apt install ./build-deb/ofs_*.deb
# which creates the user 'ofs', /etc/ofs/ofs.toml and the systemd unit ofs.service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build_dir=${OFS_DEB_BUILD_DIR:-build-deb}
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DOFS_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
(cd "$build_dir" && cpack -G DEB)
