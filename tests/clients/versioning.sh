#!/usr/bin/env bash
# Versioning and Object Lock with real clients against a fresh `objstore dev`.
# aws-cli (Debian's 2.x at /usr/bin/aws and, when present, a pip-installed 1.x): put/get-bucket-versioning, three
# versions of one key (ids, newest-first listing, an old version's bytes), a delete marker and its removal, deleting
# a version for good, copy from a version, a delimiter listing, ListObjectVersions paged by the CLI (--page-size,
# --max-items/--starting-token) and by hand (--max-keys, --key-marker, --version-id-marker) equal to the unpaged
# listing; Object Lock: a lock bucket, its default retention, put-object with lock headers, retention and legal hold
# put/get, and the refusals AWS documents (AccessDenied for locked versions and for shortening retention,
# InvalidBucketState for suspending versioning, InvalidRequest for retention on a bucket without Object Lock).
# rclone (a remote from RCLONE_CONFIG_* variables): two uploads of one file, ls/lsf --s3-versions, cat of the old
# version by its -vYYYY-MM-DD-HHMMSS-mmm name and by --s3-version-at.
# Needs jq (installed by .ci/run).
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
printf '[default]\ns3 =\n    signature_version = s3v4\n' >"$WORK/aws-config"
export AWS_CONFIG_FILE="$WORK/aws-config"

clients=()
[ -x /usr/bin/aws ] && clients+=("/usr/bin/aws")
command -v aws >/dev/null && [ "$(command -v aws)" != /usr/bin/aws ] && clients+=("$(command -v aws)")
[ ${#clients[@]} -gt 0 ] || { echo "no aws cli found"; failed=$((failed + 1)); }

api() { "${A[@]}" s3api "$@"; }
q() { "${A[@]}" s3api "$@" --output text; }
hex32() { [[ $1 =~ ^[0-9a-f]{32}$ ]] || { echo "not a 32-hex version id: '$1'"; return 1; }; }
ms() { date -u -d "$1" +%s%3N; }
# same ACTUAL EXPECTED: prints both, succeeds when equal.
same() { printf 'actual:   %s\nexpected: %s\n' "$1" "$2"; [ "$1" = "$2" ]; }
# fails_with CODE COMMAND...: the command fails and aws-cli names the code: "An error occurred (CODE) when calling".
fails_with() {
  local code=$1 out; shift
  if out=$("$@" 2>&1); then echo "succeeded, expected ($code): $out"; return 1; fi
  echo "$out"; grep -qF "($code)" <<<"$out"
}
entries='((.Versions // [])[] | "V \(.Key) \(.VersionId) \(.IsLatest)"), ((.DeleteMarkers // [])[] | "M \(.Key) \(.VersionId) \(.IsLatest)")'
# lov ARGS...: list-object-versions as lines "V key id latest" (versions, in order) then "M key id latest" (markers).
lov() {
  api list-object-versions "$@" --output json |
    jq -r "$entries"
}

for i in 1 2 3; do random_file "$WORK/v$i.bin" $((1000 + i * 111)); done
until_date=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
later_date=$(date -u -d '+3 days' +%Y-%m-%dT%H:%M:%SZ)
sooner_date=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)

for aws in "${clients[@]}"; do
  v=$("$aws" --version 2>&1 | cut -d' ' -f1)
  A=("$aws" --endpoint-url "$ENDPOINT")
  vb="ver-$RANDOM-$RANDOM"
  lb="lock-$RANDOM-$RANDOM"

  # --- versioning
  check "$v create-bucket" api create-bucket --bucket "$vb"
  check "$v get-bucket-versioning before: no status" eval '[ "$(q get-bucket-versioning --bucket "$vb" --query Status)" = None ]'
  check "$v put-bucket-versioning Enabled" api put-bucket-versioning --bucket "$vb" --versioning-configuration Status=Enabled
  check "$v get-bucket-versioning: Enabled" eval 'same "$(q get-bucket-versioning --bucket "$vb" --query Status)" Enabled'

  ids=()
  put_three() {
    local i id
    for i in 1 2 3; do
      id=$(q put-object --bucket "$vb" --key doc.bin --body "$WORK/v$i.bin" --query VersionId) && hex32 "$id" || return 1
      ids+=("$id")
    done
    echo "${ids[*]}"; [ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" -eq 3 ]
  }
  check "$v put-object x3: three distinct version ids" put_three
  check "$v list-object-versions: newest first, only the newest IsLatest" eval \
    'same "$(lov --bucket "$vb" --prefix doc.bin)" "$(printf "V doc.bin %s true\nV doc.bin %s false\nV doc.bin %s false" "${ids[2]}" "${ids[1]}" "${ids[0]}")"'
  get_version() { # get_version ID EXPECTED-FILE [KEY]
    local got; got=$(q get-object --bucket "$vb" --key "${3:-doc.bin}" --version-id "$1" "$WORK/got.bin" --query VersionId) &&
      same "$got" "$1" && cmp "$2" "$WORK/got.bin"
  }
  get_latest() { # get_latest EXPECTED-ID EXPECTED-FILE
    local got; got=$(q get-object --bucket "$vb" --key doc.bin "$WORK/got.bin" --query VersionId) && same "$got" "$1" && cmp "$2" "$WORK/got.bin"
  }
  check "$v get-object --version-id of the oldest: its bytes" get_version "${ids[0]}" "$WORK/v1.bin"
  check "$v get-object --version-id of the middle: its bytes" get_version "${ids[1]}" "$WORK/v2.bin"
  check "$v get-object without version: the newest" get_latest "${ids[2]}" "$WORK/v3.bin"
  check "$v head-object --version-id: size of that version" eval \
    'same "$(q head-object --bucket "$vb" --key doc.bin --version-id "${ids[0]}" --query "[VersionId,ContentLength]")" "$(printf "%s\t%s" "${ids[0]}" "$(stat -c %s "$WORK/v1.bin")")"'

  marker=
  delete_makes_marker() {
    local out; out=$(q delete-object --bucket "$vb" --key doc.bin --query '[DeleteMarker,VersionId]') || return 1
    echo "$out"; marker=$(cut -f2 <<<"$out")
    [ "$(cut -f1 <<<"$out")" = True ] && hex32 "$marker" && ! printf '%s\n' "${ids[@]}" | grep -qx "$marker"
  }
  check "$v delete-object without version: a delete marker with a new id" delete_makes_marker
  check "$v head-object after the marker: 404" fails_with 404 api head-object --bucket "$vb" --key doc.bin
  check "$v get-object after the marker: NoSuchKey" fails_with NoSuchKey api get-object --bucket "$vb" --key doc.bin "$WORK/got.bin"
  check "$v the marker is listed as latest, the versions are not" eval \
    'same "$(lov --bucket "$vb" --prefix doc.bin)" "$(printf "V doc.bin %s false\nV doc.bin %s false\nV doc.bin %s false\nM doc.bin %s true" "${ids[2]}" "${ids[1]}" "${ids[0]}" "$marker")"'
  check "$v get-object --version-id still reads an old version behind the marker" get_version "${ids[1]}" "$WORK/v2.bin"
  check "$v delete-object --version-id of the marker" eval \
    'same "$(q delete-object --bucket "$vb" --key doc.bin --version-id "$marker" --query "[DeleteMarker,VersionId]")" "$(printf "True\t%s" "$marker")"'
  check "$v the object is back: head-object gives the newest version" eval \
    'same "$(q head-object --bucket "$vb" --key doc.bin --query VersionId)" "${ids[2]}"'
  check "$v get-object after removing the marker: newest bytes" get_latest "${ids[2]}" "$WORK/v3.bin"
  check "$v delete-object --version-id of the middle version" eval \
    'same "$(q delete-object --bucket "$vb" --key doc.bin --version-id "${ids[1]}" --query "[VersionId,DeleteMarker]")" "$(printf "%s\tNone" "${ids[1]}")"'
  check "$v the deleted version is gone: NoSuchVersion" fails_with NoSuchVersion \
    api get-object --bucket "$vb" --key doc.bin --version-id "${ids[1]}" "$WORK/got.bin"
  check "$v listing after the deletions: newest and oldest remain" eval \
    'same "$(lov --bucket "$vb" --prefix doc.bin)" "$(printf "V doc.bin %s true\nV doc.bin %s false" "${ids[2]}" "${ids[0]}")"'
  check "$v oldest version's bytes unchanged" get_version "${ids[0]}" "$WORK/v1.bin"

  copy_from_version() {
    local out; out=$(q copy-object --bucket "$vb" --key copy.bin --copy-source "$vb/doc.bin?versionId=${ids[0]}" --query '[CopySourceVersionId,VersionId]') || return 1
    echo "$out"; [ "$(cut -f1 <<<"$out")" = "${ids[0]}" ] && hex32 "$(cut -f2 <<<"$out")" || return 1
    api get-object --bucket "$vb" --key copy.bin "$WORK/got.bin" >/dev/null && cmp "$WORK/v1.bin" "$WORK/got.bin"
  }
  check "$v copy-object from an old version: its bytes, CopySourceVersionId" copy_from_version

  # Paging: 4 keys x 3 versions and a marker on pg/k2 (13 entries).
  fill_pages() {
    local round k
    for round in 1 2 3; do for k in 1 2 3 4; do
      printf 'pg/k%s round %s\n' "$k" "$round" >"$WORK/page.txt"
      api put-object --bucket "$vb" --key "pg/k$k" --body "$WORK/page.txt" >/dev/null || return 1
    done; done
    api delete-object --bucket "$vb" --key pg/k2 >/dev/null
  }
  check "$v 12 versions and a marker under pg/" fill_pages
  lov --bucket "$vb" --prefix pg/ --no-paginate >"$WORK/unpaged.txt"
  check "$v unpaged listing: 12 versions, 1 marker" eval \
    '[ "$(grep -c ^V "$WORK/unpaged.txt")" = 12 ] && [ "$(grep -c ^M "$WORK/unpaged.txt")" = 1 ] && cat "$WORK/unpaged.txt"'
  check "$v --page-size 2 equals the unpaged listing" eval \
    '[ "$(wc -l <"$WORK/unpaged.txt")" = 13 ] && lov --bucket "$vb" --prefix pg/ --page-size 2 | diff "$WORK/unpaged.txt" -'
  by_tokens() {
    local token="" rounds=0 out
    : >"$WORK/tokens.txt"
    while :; do
      out=$(api list-object-versions --bucket "$vb" --prefix pg/ --page-size 2 --max-items 5 ${token:+--starting-token "$token"} --output json) || return 1
      jq -r "$entries" <<<"$out" >>"$WORK/tokens.txt"
      rounds=$((rounds + 1)); [ $rounds -le 10 ] || { echo "no end after 10 rounds"; return 1; }
      token=$(jq -r '.NextToken // empty' <<<"$out"); [ -n "$token" ] || break
    done
    echo "rounds: $rounds"; [ $rounds = 3 ] && { grep ^V "$WORK/tokens.txt"; grep ^M "$WORK/tokens.txt"; } | diff "$WORK/unpaged.txt" -
  }
  check "$v --max-items 5 --page-size 2 with --starting-token equals the unpaged listing" by_tokens
  by_markers() {
    local km="" vm="" rounds=0 out
    : >"$WORK/markers.txt"
    while :; do
      out=$(api list-object-versions --bucket "$vb" --prefix pg/ --max-keys 3 --no-paginate ${km:+--key-marker "$km" --version-id-marker "$vm"} --output json) || return 1
      [ "$(jq '(.Versions // []) + (.DeleteMarkers // []) | length' <<<"$out")" -le 3 ] || { echo "more than max-keys: $out"; return 1; }
      jq -r "$entries" <<<"$out" >>"$WORK/markers.txt"
      rounds=$((rounds + 1)); [ $rounds -le 10 ] || { echo "no end after 10 rounds"; return 1; }
      [ "$(jq -r .IsTruncated <<<"$out")" = true ] || break
      km=$(jq -r .NextKeyMarker <<<"$out"); vm=$(jq -r .NextVersionIdMarker <<<"$out")
      hex32 "$vm" || return 1
    done
    echo "rounds: $rounds"; [ $rounds = 5 ] && { grep ^V "$WORK/markers.txt"; grep ^M "$WORK/markers.txt"; } | diff "$WORK/unpaged.txt" -
  }
  check "$v --max-keys 3 with --key-marker/--version-id-marker: 5 pages equal the unpaged listing" by_markers
  delimited() {
    local out; out=$(api list-object-versions --bucket "$vb" --delimiter / --output json) || return 1
    same "$(jq -c '[(.CommonPrefixes // [])[].Prefix]' <<<"$out")" '["pg/"]' &&
      same "$(jq -c '[(.Versions // [])[].Key]' <<<"$out")" '["copy.bin","doc.bin","doc.bin"]'
  }
  check "$v list-object-versions --delimiter /: pg/ as a common prefix" delimited
  check "$v retention on a bucket without Object Lock: InvalidRequest" fails_with InvalidRequest \
    api get-object-retention --bucket "$vb" --key doc.bin
  check "$v no lock configuration: ObjectLockConfigurationNotFoundError" fails_with ObjectLockConfigurationNotFoundError \
    api get-object-lock-configuration --bucket "$vb"
  check "$v put-bucket-versioning Suspended (no lock)" api put-bucket-versioning --bucket "$vb" --versioning-configuration Status=Suspended
  check "$v get-bucket-versioning: Suspended" eval 'same "$(q get-bucket-versioning --bucket "$vb" --query Status)" Suspended'

  # --- Object Lock
  check "$v create-bucket --object-lock-enabled-for-bucket" api create-bucket --bucket "$lb" --object-lock-enabled-for-bucket
  check "$v the lock bucket is versioned" eval 'same "$(q get-bucket-versioning --bucket "$lb" --query Status)" Enabled'
  check "$v get-object-lock-configuration: Enabled, no rule" eval \
    'same "$(api get-object-lock-configuration --bucket "$lb" --output json | jq -c .ObjectLockConfiguration)" "{\"ObjectLockEnabled\":\"Enabled\"}"'
  check "$v put-object-lock-configuration GOVERNANCE 1 day" api put-object-lock-configuration --bucket "$lb" \
    --object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}'
  check "$v get-object-lock-configuration: the default rule" eval \
    'same "$(q get-object-lock-configuration --bucket "$lb" --query "ObjectLockConfiguration.[ObjectLockEnabled,Rule.DefaultRetention.Mode,Rule.DefaultRetention.Days]")" "$(printf "Enabled\tGOVERNANCE\t1")"'

  default_retention() {
    local id out until_ms want_ms
    want_ms=$(ms '+1 day')
    id=$(q put-object --bucket "$lb" --key default.bin --body "$WORK/v1.bin" --query VersionId) && hex32 "$id" || return 1
    out=$(q head-object --bucket "$lb" --key default.bin --query '[ObjectLockMode,ObjectLockRetainUntilDate]') || return 1
    echo "$out"; [ "$(cut -f1 <<<"$out")" = GOVERNANCE ] || return 1
    until_ms=$(ms "$(cut -f2 <<<"$out")") || return 1
    # creation time + 1 day, within the two minutes this step may take
    [ $((until_ms - want_ms)) -gt -120000 ] && [ $((until_ms - want_ms)) -lt 120000 ]
  }
  check "$v put-object under the default rule: GOVERNANCE until about now + 1 day" default_retention

  cid=
  put_locked() { # put_locked VAR KEY MODE [more put-object args]: the new version id in VAR
    local var=$1 key=$2 mode=$3 id; shift 3
    id=$(q put-object --bucket "$lb" --key "$key" --body "$WORK/v2.bin" --object-lock-mode "$mode" \
      --object-lock-retain-until-date "$until_date" "$@" --query VersionId --debug 2>"$WORK/put-debug.log") ||
      { grep -E 'Error|error' "$WORK/put-debug.log" | tail -5; return 1; }
    hex32 "$id" && printf -v "$var" %s "$id"
  }
  check "$v put-object --object-lock-mode COMPLIANCE --object-lock-retain-until-date" put_locked cid compliance.bin COMPLIANCE
  # AWS refuses a PUT with lock headers that carries neither Content-MD5 nor an x-amz-checksum-* value; the CLI adds one.
  integrity=$(grep -oiE "'(content-md5|x-amz-checksum-[a-z0-9]+|x-amz-trailer)'" "$WORK/put-debug.log" | sort -u | tr '\n' ' ')
  echo "     ($v sent $integrity with the lock headers)"
  check "$v the lock PUT carried Content-MD5 or an x-amz-checksum" test -n "$integrity"
  check "$v head-object: COMPLIANCE and the retain-until date sent" eval \
    'out=$(q head-object --bucket "$lb" --key compliance.bin --version-id "$cid" --query "[ObjectLockMode,ObjectLockRetainUntilDate]") &&
     same "$(cut -f1 <<<"$out") $(ms "$(cut -f2 <<<"$out")")" "COMPLIANCE $(ms "$until_date")"'
  retention_is() { # retention_is KEY ID MODE DATE
    local out; out=$(q get-object-retention --bucket "$lb" --key "$1" --version-id "$2" --query 'Retention.[Mode,RetainUntilDate]') || return 1
    same "$(cut -f1 <<<"$out") $(ms "$(cut -f2 <<<"$out")")" "$3 $(ms "$4")"
  }
  check "$v get-object-retention: COMPLIANCE until the date sent" retention_is compliance.bin "$cid" COMPLIANCE "$until_date"
  check "$v delete-object --version-id of a COMPLIANCE version: AccessDenied" fails_with AccessDenied \
    api delete-object --bucket "$lb" --key compliance.bin --version-id "$cid"
  check "$v ... with --bypass-governance-retention: still AccessDenied" fails_with AccessDenied \
    api delete-object --bucket "$lb" --key compliance.bin --version-id "$cid" --bypass-governance-retention
  check "$v put-object-retention shortening COMPLIANCE: AccessDenied" fails_with AccessDenied \
    api put-object-retention --bucket "$lb" --key compliance.bin --version-id "$cid" --retention "Mode=COMPLIANCE,RetainUntilDate=$sooner_date"
  check "$v ... with --bypass-governance-retention: still AccessDenied" fails_with AccessDenied \
    api put-object-retention --bucket "$lb" --key compliance.bin --version-id "$cid" --bypass-governance-retention \
    --retention "Mode=COMPLIANCE,RetainUntilDate=$sooner_date"
  check "$v put-object-retention COMPLIANCE -> GOVERNANCE: AccessDenied" fails_with AccessDenied \
    api put-object-retention --bucket "$lb" --key compliance.bin --version-id "$cid" --retention "Mode=GOVERNANCE,RetainUntilDate=$later_date"
  check "$v put-object-retention extending COMPLIANCE" \
    api put-object-retention --bucket "$lb" --key compliance.bin --version-id "$cid" --retention "Mode=COMPLIANCE,RetainUntilDate=$later_date"
  check "$v get-object-retention: the extended date" retention_is compliance.bin "$cid" COMPLIANCE "$later_date"
  check "$v delete-object without version on a locked object: a delete marker" eval \
    'same "$(q delete-object --bucket "$lb" --key compliance.bin --query DeleteMarker)" True'
  check "$v the COMPLIANCE version is intact behind the marker" eval \
    'q get-object --bucket "$lb" --key compliance.bin --version-id "$cid" "$WORK/got.bin" >/dev/null && cmp "$WORK/v2.bin" "$WORK/got.bin"'

  gid=
  check "$v put-object GOVERNANCE with a retain-until date" put_locked gid governance.bin GOVERNANCE
  check "$v delete-object --version-id of a GOVERNANCE version: AccessDenied" fails_with AccessDenied \
    api delete-object --bucket "$lb" --key governance.bin --version-id "$gid"
  check "$v put-object-retention shortening GOVERNANCE without bypass: AccessDenied" fails_with AccessDenied \
    api put-object-retention --bucket "$lb" --key governance.bin --version-id "$gid" --retention "Mode=GOVERNANCE,RetainUntilDate=$sooner_date"
  check "$v put-object-retention shortening GOVERNANCE with --bypass-governance-retention" \
    api put-object-retention --bucket "$lb" --key governance.bin --version-id "$gid" --bypass-governance-retention \
    --retention "Mode=GOVERNANCE,RetainUntilDate=$sooner_date"
  check "$v get-object-retention: the shortened date" retention_is governance.bin "$gid" GOVERNANCE "$sooner_date"
  check "$v delete-object --version-id --bypass-governance-retention of a GOVERNANCE version" eval \
    'same "$(q delete-object --bucket "$lb" --key governance.bin --version-id "$gid" --bypass-governance-retention --query VersionId)" "$gid"'
  check "$v the GOVERNANCE version is gone: 404" fails_with 404 api head-object --bucket "$lb" --key governance.bin --version-id "$gid"

  hid=
  put_held() {
    hid=$(q put-object --bucket "$lb" --key held.bin --body "$WORK/v3.bin" --query VersionId) && hex32 "$hid"
  }
  check "$v put-object (default GOVERNANCE retention)" put_held
  check "$v head-object before any legal hold: no ObjectLockLegalHoldStatus" eval \
    'same "$(q head-object --bucket "$lb" --key held.bin --version-id "$hid" --query ObjectLockLegalHoldStatus)" None'
  check "$v get-object-legal-hold before any: NoSuchObjectLockConfiguration" fails_with NoSuchObjectLockConfiguration \
    api get-object-legal-hold --bucket "$lb" --key held.bin --version-id "$hid"
  check "$v put-object-legal-hold ON" api put-object-legal-hold --bucket "$lb" --key held.bin --version-id "$hid" --legal-hold Status=ON
  check "$v get-object-legal-hold: ON" eval 'same "$(q get-object-legal-hold --bucket "$lb" --key held.bin --version-id "$hid" --query LegalHold.Status)" ON'
  check "$v head-object: ObjectLockLegalHoldStatus ON" eval \
    'same "$(q head-object --bucket "$lb" --key held.bin --version-id "$hid" --query ObjectLockLegalHoldStatus)" ON'
  check "$v delete-object --version-id --bypass-governance-retention under a legal hold: AccessDenied" fails_with AccessDenied \
    api delete-object --bucket "$lb" --key held.bin --version-id "$hid" --bypass-governance-retention
  check "$v put-object-legal-hold OFF" api put-object-legal-hold --bucket "$lb" --key held.bin --version-id "$hid" --legal-hold Status=OFF
  check "$v get-object-legal-hold: OFF" eval 'same "$(q get-object-legal-hold --bucket "$lb" --key held.bin --version-id "$hid" --query LegalHold.Status)" OFF'
  # "not returned if the specified version of this object has never had a legal hold applied": this one has had one.
  check "$v head-object after the hold was lifted: ObjectLockLegalHoldStatus OFF" eval \
    'same "$(q head-object --bucket "$lb" --key held.bin --version-id "$hid" --query ObjectLockLegalHoldStatus)" OFF'
  check "$v hold off, GOVERNANCE retention left: delete without bypass is AccessDenied" fails_with AccessDenied \
    api delete-object --bucket "$lb" --key held.bin --version-id "$hid"
  check "$v hold off: delete with --bypass-governance-retention succeeds" eval \
    'same "$(q delete-object --bucket "$lb" --key held.bin --version-id "$hid" --bypass-governance-retention --query VersionId)" "$hid"'
  h2=
  check "$v put-object --object-lock-legal-hold-status ON" put_locked h2 held2.bin GOVERNANCE --object-lock-legal-hold-status ON
  check "$v get-object-legal-hold: ON from the PUT header" eval \
    'same "$(q get-object-legal-hold --bucket "$lb" --key held2.bin --version-id "$h2" --query LegalHold.Status)" ON'
  check "$v ... its delete with bypass: AccessDenied" fails_with AccessDenied \
    api delete-object --bucket "$lb" --key held2.bin --version-id "$h2" --bypass-governance-retention

  check "$v put-bucket-versioning Suspended on the lock bucket: InvalidBucketState" fails_with InvalidBucketState \
    api put-bucket-versioning --bucket "$lb" --versioning-configuration Status=Suspended
  check "$v the lock bucket stays Enabled" eval 'same "$(q get-bucket-versioning --bucket "$lb" --query Status)" Enabled'
done

# --- rclone
if ! command -v rclone >/dev/null; then
  echo "rclone not installed"; failed=$((failed + 1))
else
  # The remote comes from the environment alone; an empty config file keeps any user config out.
  export RCLONE_CONFIG="$WORK/rclone.conf"; : >"$RCLONE_CONFIG"
  export RCLONE_CONFIG_VER_TYPE=s3 RCLONE_CONFIG_VER_PROVIDER=Other RCLONE_CONFIG_VER_ENDPOINT="$ENDPOINT" \
    RCLONE_CONFIG_VER_ACCESS_KEY_ID="$ACCESS_KEY" RCLONE_CONFIG_VER_SECRET_ACCESS_KEY="$SECRET_KEY" \
    RCLONE_CONFIG_VER_REGION=us-east-1 RCLONE_CONFIG_VER_FORCE_PATH_STYLE=true
  R=(env -u AWS_CA_BUNDLE rclone --retries 1 --low-level-retries 1)
  A=("${clients[0]:-aws}" --endpoint-url "$ENDPOINT")
  rb=rc-versions
  printf 'first version\n' >"$WORK/note1.txt"
  printf 'the second, longer version\n' >"$WORK/note2.txt"
  check "rclone mkdir" "${R[@]}" mkdir "ver:$rb"
  check "rclone backend versioning Enabled" eval 'same "$("${R[@]}" backend versioning "ver:$rb" Enabled)" Enabled'
  check "rclone copyto (first content)" "${R[@]}" copyto "$WORK/note1.txt" "ver:$rb/note.txt"
  check "rclone copyto (second content)" "${R[@]}" copyto "$WORK/note2.txt" "ver:$rb/note.txt"
  first_ms= second_ms=
  two_versions() {
    local out; out=$(q list-object-versions --bucket "$rb" --query 'Versions[].[IsLatest,LastModified]') || return 1
    echo "$out"; [ "$(wc -l <<<"$out")" = 2 ] && [ "$(sed -n 1p <<<"$out" | cut -f1)" = True ] || return 1
    second_ms=$(ms "$(sed -n 1p <<<"$out" | cut -f2)") && first_ms=$(ms "$(sed -n 2p <<<"$out" | cut -f2)") &&
      [ "$first_ms" -lt "$second_ms" ]
  }
  check "two versions stored, the second later" two_versions
  # rclone names an old version after its LastModified in UTC: note-vYYYY-MM-DD-HHMMSS-mmm.txt
  old_name=note-v$(date -u -d "@$((first_ms / 1000)).$(printf %03d $((first_ms % 1000)))" +%Y-%m-%d-%H%M%S-%3N).txt
  check "rclone ls --s3-versions: both, the old one as $old_name" eval \
    'same "$("${R[@]}" ls --s3-versions "ver:$rb" | sed "s/^ *//" | LC_ALL=C sort -k2)" "$(printf "14 %s\n27 note.txt" "$old_name")"'
  check "rclone ls without --s3-versions: the current one" eval 'same "$("${R[@]}" ls "ver:$rb" | sed "s/^ *//")" "27 note.txt"'
  check "rclone lsf --s3-versions: 2 entries" eval 'same "$("${R[@]}" lsf --s3-versions "ver:$rb" | wc -l)" 2'
  check "rclone cat --s3-versions of $old_name: the first content" eval \
    '"${R[@]}" cat --s3-versions "ver:$rb/$old_name" | cmp "$WORK/note1.txt" -'
  between=$(date -u -d "@$(((first_ms + second_ms) / 2000)).$(printf %03d $((((first_ms + second_ms) / 2) % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)
  check "rclone cat --s3-version-at $between (between the uploads): the first content" eval \
    '"${R[@]}" cat --s3-version-at "$between" "ver:$rb/note.txt" | cmp "$WORK/note1.txt" -'
  check "rclone cat --s3-version-at after the second upload: the second content" eval \
    '"${R[@]}" cat --s3-version-at "$(date -u -d "@$((second_ms / 1000 + 1))" +%Y-%m-%dT%H:%M:%SZ)" "ver:$rb/note.txt" | cmp "$WORK/note2.txt" -'
  check "rclone cat without a version: the second content" eval '"${R[@]}" cat "ver:$rb/note.txt" | cmp "$WORK/note2.txt" -'
fi
finish
