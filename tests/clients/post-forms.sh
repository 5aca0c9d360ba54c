#!/usr/bin/env bash
# POST Object forms made by real clients (@aws-sdk/s3-presigned-post and minio) and POSTed as a browser would, against a
# fresh `objstore dev`; see js/post-forms.mjs. The admin CLI makes a user "poster" allowed --readwrite BUCKET/posts/
# whose signed forms are authorized as the PUTs they stand for. The npm packages are installed into js/node_modules
# (ignored by git) when missing.
source "$(dirname "$0")/common.bash"
js="$(cd "$(dirname "$0")/js" && pwd)"
command -v node >/dev/null || { echo "node not installed"; failed=1; finish; exit 1; }
if [ ! -d "$js/node_modules/@aws-sdk/s3-presigned-post" ] || [ ! -d "$js/node_modules/minio" ]; then
  (cd "$js" && npm install --no-audit --no-fund --loglevel=error) || { echo "npm install failed"; failed=1; finish; exit 1; }
fi
start_server || { finish; exit 1; }
admin() { dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll" admin "$@" --endpoint "$ENDPOINT" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY"; }
bucket="forms-$RANDOM-$RANDOM"
check "admin user add poster" admin user add poster
user_key() {
  admin key add poster >"$WORK/key.txt" || return 1
  USER_KEY=$(sed -n 's/^access key: //p' "$WORK/key.txt"); USER_SECRET=$(sed -n 's/^secret key: //p' "$WORK/key.txt")
  [ -n "$USER_KEY" ] && [ -n "$USER_SECRET" ]
}
USER_KEY= USER_SECRET=
check "admin key add poster" user_key
check "admin policy set poster --readwrite BUCKET/posts/" admin policy set poster --readwrite "$bucket/posts/"
node "$js/post-forms.mjs" "$ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY" "$bucket" "$USER_KEY" "$USER_SECRET" | tee "$WORK/post.log"
js_ok=$(grep -c '^ok' "$WORK/post.log"); js_failed=$(grep -c '^FAIL' "$WORK/post.log")
[ "$js_ok" -gt 0 ] || js_failed=$((js_failed + 1))
passed=$((passed + js_ok)); failed=$((failed + js_failed))
finish
