#!/usr/bin/env bash
# The MDN HTTP Observatory scanner (npm @mdn/mdn-http-observatory) against `make serve`'s settings behind a TLS
# proxy on loopback, deployed as README.md says: nginx terminates TLS with a self-signed certificate for localhost
# and sets X-Forwarded-Proto and X-Forwarded-For; gunicorn and Django trust them from 127.0.0.1 only
# (DJANGO_TRUSTED_PROXIES), with the SSL redirect and a year of HSTS on. Prints grade, score and failed tests for
# the guide and the admin sign-in; the scanner's JSON goes to var/observatory/. Run by `make observatory`, not CI.
# Needs nginx (apt-get install nginx-light), openssl, node and npm. Ports: TLS_PORT (8443), APP_PORT (8142).
set -euo pipefail
cd "$(dirname "$0")/.."

TLS_PORT=${TLS_PORT:-8443}
APP_PORT=${APP_PORT:-8142}
SCANNER=${SCANNER:-var/tools/node_modules/@mdn/mdn-http-observatory/src/scan.js}
DIR=$PWD/var/observatory
PAGES=("/careers/back-end-engineer/" "/admin/login/")

command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx-light" >&2; exit 1; }
mkdir -p "$DIR/tmp"

# A certificate for localhost, which resolves to 127.0.0.1 everywhere; the scanner trusts it through
# NODE_EXTRA_CA_CERTS, so its HSTS and redirection tests count (they are void on an untrusted certificate).
if [ ! -s "$DIR/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null
fi

# The scanner takes a host, not a URL: it fetches https://HOST and http://HOST. Given localhost:PORT/path, both land
# on the TLS port, where nginx answers plain HTTP (its code 497) with the redirect to HTTPS that port 80 gives in
# production. Host keeps the port ($http_host) so Django's own redirects stay on it.
cat > "$DIR/nginx.conf" <<NGINX
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events {}
http {
    access_log off;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;
    server {
        listen 127.0.0.1:$TLS_PORT ssl;
        server_name localhost;
        ssl_certificate $DIR/cert.pem;
        ssl_certificate_key $DIR/key.pem;
        error_page 497 =301 https://\$host:\$server_port\$request_uri;
        location / {
            proxy_pass http://127.0.0.1:$APP_PORT;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
NGINX

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

setsid nginx -p "$DIR" -c "$DIR/nginx.conf" -g "daemon off;" &
pids+=($!)
DJANGO_TRUSTED_PROXIES=127.0.0.1 DJANGO_ALLOWED_HOSTS=localhost DJANGO_SECURE_SSL_REDIRECT=1 \
  DJANGO_HSTS_SECONDS=31536000 DJANGO_CSRF_TRUSTED_ORIGINS="https://localhost:$TLS_PORT" \
  setsid make --no-print-directory serve PORT="$APP_PORT" >"$DIR/serve.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 90); do
  curl -sf --cacert "$DIR/cert.pem" -o /dev/null "https://localhost:$TLS_PORT/healthz" && break
  sleep 1
done
curl -sf --cacert "$DIR/cert.pem" -o /dev/null "https://localhost:$TLS_PORT/healthz" \
  || { echo "the site did not come up behind nginx; see $DIR/serve.log, $DIR/nginx-error.log" >&2; exit 1; }

for page in "${PAGES[@]}"; do
  out="$DIR/scan$(echo "${page%/}" | tr / -).json"
  # src/scan.js, not the package's bin wrapper: the wrapper replaces NODE_EXTRA_CA_CERTS with its own CA bundle.
  NODE_EXTRA_CA_CERTS="$DIR/cert.pem" node "$SCANNER" "localhost:$TLS_PORT$page" >"$out"
  .venv/bin/python - "$page" "$out" <<'PY'
import json, sys

page, path = sys.argv[1:]
result = json.load(open(path))
if "error" in result:
    sys.exit(f"{page}: {result['error']}")
scan = result["scan"]
failed = [f"{name} ({test['result']})" for name, test in result["tests"].items() if not test["pass"]]
bonus = [f"{name} +{test['scoreModifier']}" for name, test in result["tests"].items() if test["scoreModifier"] > 0]
print(f"{page}: {scan['grade']} {scan['score']}, {scan['testsPassed']}/{scan['testsQuantity']} tests passed")
print(f"  failed: {', '.join(failed) or 'none'}")
print(f"  extra credit: {', '.join(bonus) or 'none'}")
PY
done
