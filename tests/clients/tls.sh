#!/usr/bin/env bash
# aws-cli against `objstore dev` serving HTTPS (--tls-cert/--tls-key, a certificate made here with openssl), trusting
# it with --ca-bundle: bucket, upload and download, an SSE-C round trip (accepted over TLS without the development
# setting), and a client without the bundle refusing the certificate.
source "$(dirname "$0")/common.bash"
command -v openssl >/dev/null || { echo "openssl not installed"; failed=1; finish; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/s3.key" -out "$WORK/s3.pem" >/dev/null 2>&1
port=$(free_port)
ENDPOINT="https://127.0.0.1:$port"
dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll" dev --listen "$ENDPOINT" --data "$WORK/data" \
  --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" --tls-cert "$WORK/s3.pem" --tls-key "$WORK/s3.key" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do curl -fs --cacert "$WORK/s3.pem" "$ENDPOINT/_objstore/health/ready" >/dev/null && break; sleep 0.1; done

export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null
A=(aws --endpoint-url "$ENDPOINT" --ca-bundle "$WORK/s3.pem")
random_file "$WORK/up.bin" 3000000
key=$(head -c 32 /dev/urandom | base64 | head -c 32)

check "health over https with the certificate trusted" curl -fs --cacert "$WORK/s3.pem" "$ENDPOINT/_objstore/health/ready"
check "s3 mb over https" "${A[@]}" s3 mb s3://tls-bucket
check "s3 cp up" "${A[@]}" s3 cp --no-progress "$WORK/up.bin" s3://tls-bucket/up.bin
down() { "${A[@]}" s3 cp --no-progress s3://tls-bucket/up.bin "$WORK/down.bin" && cmp "$WORK/up.bin" "$WORK/down.bin"; }
check "s3 cp down: the same bytes" down
ssec() {
  "${A[@]}" s3 cp --no-progress "$WORK/up.bin" s3://tls-bucket/ssec.bin --sse-c AES256 --sse-c-key "$key" &&
  "${A[@]}" s3 cp --no-progress s3://tls-bucket/ssec.bin "$WORK/ssec.bin" --sse-c AES256 --sse-c-key "$key" && cmp "$WORK/up.bin" "$WORK/ssec.bin"
}
check "SSE-C over TLS without the development setting" ssec
check "without --ca-bundle the certificate is refused" bash -c "! aws --endpoint-url '$ENDPOINT' s3 ls s3://tls-bucket >/dev/null 2>&1"
finish
