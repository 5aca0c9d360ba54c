// The store's admin API (/_objstore/admin/...), the one `objstore admin` uses: SigV4-signed like S3 (root only),
// JSON in and out, errors as {"error": "..."}.
import { signRequest, EMPTY_SHA256 } from "./sigv4.js";
import { S3Error } from "./s3.js";

const PREFIX = "/_objstore/admin";

/**
 * One path segment (a user name, an access key, a job id). signRequest percent-encodes the decoded path it is
 * given, segment by segment, so the name goes in as it is; one that would not stay one segment is refused.
 */
function segment(value) {
  const text = String(value);
  if (text === "" || text === "." || text === ".." || text.includes("/")) throw new S3Error(0, "InvalidName", `"${text}" cannot be a path segment`);
  return text;
}

export class AdminClient {
  constructor(credentials) {
    this.credentials = credentials;
  }

  async call(method, route, query = []) {
    const signed = await signRequest(this.credentials, { method, path: PREFIX + route, query, payloadHash: EMPTY_SHA256 });
    let response;
    try {
      response = await fetch(signed.url, { method, headers: signed.headers, credentials: "omit", cache: "no-store" });
    } catch (e) {
      throw new S3Error(0, "NetworkError", `${method} ${route}: ${e.message}`);
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) {
      const message = json?.error ?? (text.trim() || response.statusText);
      const [code, ...rest] = message.split(": ");
      throw rest.length > 0 && /^[A-Za-z]+$/.test(code)
        ? new S3Error(response.status, code, rest.join(": "))
        : new S3Error(response.status, `HTTP ${response.status}`, message);
    }
    return json;
  }

  status() { return this.call("GET", "/status"); }
  jobs() { return this.call("GET", "/jobs"); }
  startJob(kind, target) { return this.call("POST", "/jobs", [["kind", kind], ["target", target]]); }
  cancelJob(id) { return this.call("POST", `/jobs/${segment(id)}/cancel`); }
  retryJob(id) { return this.call("POST", `/jobs/${segment(id)}/retry`); }
  users() { return this.call("GET", "/users"); }
  createUser(name) { return this.call("POST", "/users", [["name", name]]); }
  setDisabled(name, disabled) { return this.call("POST", `/users/${segment(name)}/${disabled ? "disable" : "enable"}`); }
  deleteUser(name) { return this.call("DELETE", `/users/${segment(name)}`); }
  createKey(name) { return this.call("POST", `/users/${segment(name)}/keys`); }
  deleteKey(accessKey) { return this.call("DELETE", `/keys/${segment(accessKey)}`); }
}
