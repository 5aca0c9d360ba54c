// The store's admin API (/_objstore/admin/...), the one `objstore admin` uses: SigV4-signed like S3 (root only),
// JSON in and out, errors as {"error": "..."}.
import { signRequest, EMPTY_SHA256 } from "./sigv4.js";
import { S3Error } from "./s3.js";

const PREFIX = "/_objstore/admin";

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
  cancelJob(id) { return this.call("POST", `/jobs/${id}/cancel`); }
  retryJob(id) { return this.call("POST", `/jobs/${id}/retry`); }
  users() { return this.call("GET", "/users"); }
  createUser(name) { return this.call("POST", "/users", [["name", name]]); }
  setDisabled(name, disabled) { return this.call("POST", `/users/${name}/${disabled ? "disable" : "enable"}`); }
  deleteUser(name) { return this.call("DELETE", `/users/${name}`); }
  createKey(name) { return this.call("POST", `/users/${name}/keys`); }
  deleteKey(accessKey) { return this.call("DELETE", `/keys/${accessKey}`); }
}
