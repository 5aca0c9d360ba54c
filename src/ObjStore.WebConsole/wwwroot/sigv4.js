// AWS Signature Version 4 in the browser, with WebCrypto (SubtleCrypto: HMAC-SHA256 and SHA-256), for S3 and the
// store's admin API (which checks the same signatures). Headers are signed for fetch/XMLHttpRequest requests; URLs
// are presigned (query-string authentication) for downloads and shared links.

const encoder = new TextEncoder();

/** The SHA-256 of an empty body, which GET, HEAD and DELETE requests sign. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), b => b.toString(16).padStart(2, "0")).join("");
}

async function hmac(key, data) {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", cryptoKey, typeof data === "string" ? encoder.encode(data) : data);
}

/** Hex SHA-256 of a string, an ArrayBuffer, a typed array or a Blob. */
export async function sha256Hex(data) {
  let bytes = data;
  if (typeof data === "string") bytes = encoder.encode(data);
  else if (data instanceof Blob) bytes = await data.arrayBuffer();
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/** RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ (and '/', unless asked). */
export function uriEncode(text, encodeSlash = true) {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, c => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return encodeSlash ? encoded : encoded.replace(/%2F/g, "/");
}

/**
 * The path as sent: each segment encoded, '/' kept. A browser's URL parser removes "." and ".." segments (encoded
 * or not) before fetch sends the request, so the server would see, and check the signature of, another path: such
 * a path is refused here rather than signed as one thing and sent as another.
 */
export function encodePath(path) {
  const encoded = uriEncode(path, false);
  if (path.split("/").some(segment => segment === "." || segment === "..")
      || new URL(encoded, "http://host.invalid").pathname !== encoded) {
    throw new Error(`"${path}" cannot be requested from a browser: it has a "." or ".." segment, which the browser `
      + "would remove from the URL. Use the CLI or an S3 SDK for this key.");
  }
  return encoded;
}

/** The canonical query string: encoded names and values, sorted by name then value. */
export function canonicalQuery(query) {
  return query
    .map(([name, value]) => [uriEncode(name), uriEncode(value ?? "")])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** 20260102T030405Z */
export function amzDate(now = new Date()) {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

const signingKeys = new Map();

async function signingKey(secret, date, region) {
  const id = `${secret}\n${date}\n${region}`;
  let key = signingKeys.get(id);
  if (!key) {
    const kDate = await hmac(encoder.encode("AWS4" + secret), date);
    const kRegion = await hmac(kDate, region);
    const kService = await hmac(kRegion, "s3");
    key = await hmac(kService, "aws4_request");
    signingKeys.clear(); // one date and one set of keys at a time
    signingKeys.set(id, key);
  }
  return key;
}

async function signature(credentials, date, stamp, canonicalRequest) {
  const scope = `${date}/${credentials.region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, await sha256Hex(canonicalRequest)].join("\n");
  const key = await signingKey(credentials.secretKey, date, credentials.region);
  return { scope, signature: hex(await hmac(key, stringToSign)) };
}

/**
 * Signs a request in an Authorization header. path is the decoded path ("/bucket/a key"), query a list of
 * [name, value] pairs (decoded), headers the extra headers to sign (lower-case names). Returns the URL to send (the
 * path and query encoded exactly as signed) and the headers to set (browsers set Host themselves: it is signed as
 * location.host). host and now are there for tests against known signatures.
 */
export async function signRequest(credentials, {
  method, path, query = [], headers = {}, payloadHash = EMPTY_SHA256, host = location.host, now = new Date(),
}) {
  const stamp = amzDate(now);
  const date = stamp.slice(0, 8);
  const all = { ...lower(headers), host, "x-amz-date": stamp, "x-amz-content-sha256": payloadHash };
  const names = Object.keys(all).sort();
  const canonicalHeaders = names.map(n => `${n}:${String(all[n]).trim().replace(/ +/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const queryString = canonicalQuery(query);
  const encodedPath = encodePath(path);
  const canonicalRequest = [method, encodedPath, queryString, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const signed = await signature(credentials, date, stamp, canonicalRequest);
  delete all.host;
  all.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKey}/${signed.scope}, SignedHeaders=${signedHeaders}, Signature=${signed.signature}`;
  return { url: origin(host) + encodedPath + (queryString ? "?" + queryString : ""), headers: all, signature: signed.signature };
}

/**
 * A presigned URL (query-string authentication, host the only signed header, UNSIGNED-PAYLOAD), valid for
 * expiresSeconds (1 to 604800).
 */
export async function presign(credentials, {
  method = "GET", path, query = [], expiresSeconds = 3600, host = location.host, now = new Date(),
}) {
  const stamp = amzDate(now);
  const date = stamp.slice(0, 8);
  const auth = [
    ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
    ["X-Amz-Credential", `${credentials.accessKey}/${date}/${credentials.region}/s3/aws4_request`],
    ["X-Amz-Date", stamp],
    ["X-Amz-Expires", String(expiresSeconds)],
    ["X-Amz-SignedHeaders", "host"],
  ];
  const queryString = canonicalQuery([...query, ...auth]);
  const encodedPath = encodePath(path);
  const canonicalRequest = [method, encodedPath, queryString, `host:${host}\n`, "host", UNSIGNED_PAYLOAD].join("\n");
  const signed = await signature(credentials, date, stamp, canonicalRequest);
  return `${origin(host)}${encodedPath}?${queryString}&X-Amz-Signature=${signed.signature}`;
}

/** The page's origin, or for another host (tests) that host over the page's scheme. */
function origin(host) {
  return host === location.host ? location.origin : `${location.protocol}//${host}`;
}

function lower(headers) {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
