// The S3 calls the console makes, each signed (sigv4.js). Every failure becomes an S3Error carrying the answer's
// Code and Message (the XML error document), or the HTTP status when the answer has none: nothing is swallowed.
import { signRequest, presign, sha256Hex, EMPTY_SHA256, UNSIGNED_PAYLOAD } from "./sigv4.js";

/** Objects at least this large go up in parts of PART_SIZE (larger parts for files past 10,000 of them: S3's limit). */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;
const MAX_PARTS = 10000;

export class S3Error extends Error {
  constructor(status, code, message, requestId) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.detail = message;
    this.requestId = requestId;
  }
}

function parseXml(text) {
  return new DOMParser().parseFromString(text, "application/xml");
}

/** The text of the first child element called name (namespace-blind), or null. */
function child(element, name) {
  for (const node of element.children) if (node.localName === name) return node.textContent;
  return null;
}

function children(element, name) {
  return Array.from(element.children).filter(node => node.localName === name);
}

/** The S3Error an answer describes. */
export function errorFrom(status, statusText, body) {
  if (body && body.trimStart().startsWith("<")) {
    const doc = parseXml(body);
    const root = doc.documentElement;
    if (root && root.localName === "Error") {
      return new S3Error(status, child(root, "Code") ?? `HTTP ${status}`, child(root, "Message") ?? statusText, child(root, "RequestId"));
    }
  }
  return new S3Error(status, `HTTP ${status}`, body?.trim() || statusText || "the request failed");
}

export class S3Client {
  constructor(credentials) {
    this.credentials = credentials;
  }

  /** A signed fetch; resolves with the Response when it is 2xx, else rejects with the S3Error. */
  async send(method, path, { query = [], headers = {}, body = null, payloadHash } = {}) {
    const hash = payloadHash ?? (body === null ? EMPTY_SHA256 : await sha256Hex(body));
    const signed = await signRequest(this.credentials, { method, path, query, headers, payloadHash: hash });
    let response;
    try {
      response = await fetch(signed.url, { method, headers: signed.headers, body, credentials: "omit", cache: "no-store" });
    } catch (e) {
      throw new S3Error(0, "NetworkError", `${method} ${path}: ${e.message}`);
    }
    if (!response.ok) throw errorFrom(response.status, response.statusText, await response.text());
    return response;
  }

  async xml(method, path, options) {
    return parseXml(await (await this.send(method, path, options)).text()).documentElement;
  }

  async listBuckets() {
    const root = await this.xml("GET", "/");
    const buckets = root.getElementsByTagNameNS("*", "Bucket");
    return Array.from(buckets, b => ({ name: child(b, "Name"), created: child(b, "CreationDate") }));
  }

  createBucket(name) {
    return this.send("PUT", `/${name}`);
  }

  deleteBucket(name) {
    return this.send("DELETE", `/${name}`);
  }

  async versioning(bucket) {
    const root = await this.xml("GET", `/${bucket}`, { query: [["versioning", ""]] });
    return child(root, "Status") ?? "";
  }

  /** One page of ListObjectsV2 with delimiter "/": folders (common prefixes), objects and the next token. */
  async listObjects(bucket, prefix, maxKeys, token) {
    const query = [["list-type", "2"], ["delimiter", "/"], ["prefix", prefix], ["max-keys", String(maxKeys)]];
    if (token) query.push(["continuation-token", token]);
    const root = await this.xml("GET", `/${bucket}`, { query });
    return {
      folders: children(root, "CommonPrefixes").map(p => child(p, "Prefix")),
      objects: children(root, "Contents").map(c => ({
        key: child(c, "Key"), size: Number(child(c, "Size")), modified: child(c, "LastModified"), etag: child(c, "ETag"),
      })),
      next: child(root, "IsTruncated") === "true" ? child(root, "NextContinuationToken") : null,
    };
  }

  /** One page of ListObjectVersions with delimiter "/": versions and delete markers in the order S3 gives them. */
  async listVersions(bucket, prefix, maxKeys, keyMarker, versionMarker) {
    const query = [["versions", ""], ["delimiter", "/"], ["prefix", prefix], ["max-keys", String(maxKeys)]];
    if (keyMarker) query.push(["key-marker", keyMarker]);
    if (versionMarker) query.push(["version-id-marker", versionMarker]);
    const root = await this.xml("GET", `/${bucket}`, { query });
    const entries = Array.from(root.children)
      .filter(e => e.localName === "Version" || e.localName === "DeleteMarker")
      .map(e => ({
        key: child(e, "Key"), versionId: child(e, "VersionId"), latest: child(e, "IsLatest") === "true",
        deleteMarker: e.localName === "DeleteMarker", size: Number(child(e, "Size") ?? 0), modified: child(e, "LastModified"),
      }));
    const truncated = child(root, "IsTruncated") === "true";
    return {
      folders: children(root, "CommonPrefixes").map(p => child(p, "Prefix")),
      entries,
      next: truncated ? { keyMarker: child(root, "NextKeyMarker"), versionMarker: child(root, "NextVersionIdMarker") } : null,
    };
  }

  deleteObject(bucket, key, versionId) {
    return this.send("DELETE", `/${bucket}/${key}`, { query: versionId ? [["versionId", versionId]] : [] });
  }

  /** A signed GET of the object's bytes (previews). */
  async getBlob(bucket, key, versionId, range) {
    const response = await this.send("GET", `/${bucket}/${key}`, {
      query: versionId ? [["versionId", versionId]] : [], headers: range ? { range } : {},
    });
    return response.blob();
  }

  /** The object's Content-Type (a HEAD), without parameters, lower-case; "" when it has none. */
  async contentType(bucket, key, versionId) {
    const response = await this.send("HEAD", `/${bucket}/${key}`, { query: versionId ? [["versionId", versionId]] : [] });
    return (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  }

  /** A presigned GET URL; attachment makes the browser save it under the key's last segment. */
  presignGet(bucket, key, { expiresSeconds = 3600, versionId = null, attachment = false } = {}) {
    const query = [];
    if (versionId) query.push(["versionId", versionId]);
    if (attachment) {
      const name = key.split("/").pop();
      query.push(["response-content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(name)}`]);
    }
    return presign(this.credentials, { method: "GET", path: `/${bucket}/${key}`, query, expiresSeconds });
  }

  /**
   * Uploads a file: one PUT below MULTIPART_THRESHOLD, else a multipart upload of PART_SIZE parts, one after the
   * other. onProgress(bytesSent) is called as bytes leave (XMLHttpRequest upload progress). An upload that fails
   * midway is aborted, so its parts do not linger.
   */
  async upload(bucket, key, file, onProgress) {
    if (file.size < MULTIPART_THRESHOLD) {
      await this.put(`/${bucket}/${key}`, [], file, file.type, onProgress);
      return;
    }
    const path = `/${bucket}/${key}`;
    const created = await this.xml("POST", path, {
      query: [["uploads", ""]], headers: file.type ? { "content-type": file.type } : {},
    });
    const uploadId = child(created, "UploadId");
    const partSize = Math.max(PART_SIZE, Math.ceil(file.size / MAX_PARTS / (1024 * 1024)) * 1024 * 1024);
    const parts = [];
    try {
      for (let offset = 0, number = 1; offset < file.size; offset += partSize, number++) {
        const blob = file.slice(offset, Math.min(offset + partSize, file.size));
        const etag = await this.put(path, [["partNumber", String(number)], ["uploadId", uploadId]], blob, null,
          sent => onProgress(offset + sent));
        parts.push(`<Part><PartNumber>${number}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`);
      }
      const body = `<CompleteMultipartUpload>${parts.join("")}</CompleteMultipartUpload>`;
      const completed = await this.xml("POST", path, { query: [["uploadId", uploadId]], body, headers: { "content-type": "application/xml" } });
      if (completed.localName === "Error") throw errorFrom(200, "", new XMLSerializer().serializeToString(completed));
    } catch (e) {
      // The part or completion error is the one to show; a failed abort leaves parts UploadExpiry removes later.
      await this.send("DELETE", path, { query: [["uploadId", uploadId]] }).catch(() => {});
      throw e;
    }
  }

  /** One PUT through XMLHttpRequest (fetch reports no upload progress); resolves with the ETag. */
  async put(path, query, blob, contentType, onProgress) {
    const headers = contentType ? { "content-type": contentType } : {};
    const signed = await signRequest(this.credentials, { method: "PUT", path, query, headers, payloadHash: UNSIGNED_PAYLOAD });
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", signed.url);
      for (const [name, value] of Object.entries(signed.headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = e => onProgress(e.loaded);
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(blob.size);
          resolve(xhr.getResponseHeader("ETag"));
        } else {
          reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
        }
      };
      xhr.onerror = () => reject(new S3Error(0, "NetworkError", `PUT ${path}: the connection failed`));
      xhr.send(blob);
    });
  }
}

function escapeXml(text) {
  return String(text).replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`);
}
