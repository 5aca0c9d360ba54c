// The console: views for buckets and objects (S3), the cluster and jobs (admin API), users and keys (identity admin
// API). The DOM is built with textContent only (never innerHTML), so no key, name or error message can inject markup.
import { S3Client, S3Error } from "./s3.js";
import { AdminClient } from "./admin.js";

const $ = id => document.getElementById(id);
/** Where an older console kept the keys (sessionStorage); removed at start, never written again. */
const LEGACY_SESSION = "objstore.console.credentials";
const VIEWS = ["signin", "buckets", "objects", "cluster", "users"];

let s3 = null;
let admin = null;
let pollTimer = null;

/** An element with attributes (on* are listeners) and children (strings become text nodes). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) element.append(c instanceof Node ? c : String(c));
  return element;
}

function fill(tbody, rows, emptyText, columns) {
  tbody.replaceChildren(...(rows.length ? rows : [h("tr", { className: "empty" }, h("td", { colspan: columns }, emptyText))]));
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

function formatDate(text) {
  if (!text) return "";
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toLocaleString();
}

// ---- errors and notices: every failure is shown, with S3's Code and Message ----

function showError(e) {
  const text = e instanceof S3Error ? `${e.code}: ${e.detail}${e.status ? ` (HTTP ${e.status})` : ""}` : String(e?.message ?? e);
  $("error-text").textContent = text;
  $("error").hidden = false;
  console.error(e);
}

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = false;
}

/** Runs an action, showing its error; returns its result (undefined after an error). */
async function attempt(action) {
  try {
    return await action();
  } catch (e) {
    showError(e);
    return undefined;
  }
}

// ---- session ----

function signIn(credentials) {
  s3 = new S3Client(credentials);
  admin = new AdminClient(credentials);
  $("whoami").textContent = credentials.accessKey;
  $("nav").hidden = false;
}

// The keys live only in this module's memory (the clients below): never in sessionStorage or localStorage, which
// any later document of this origin in the tab (an uploaded HTML object opened by a link) could read. A reload
// therefore asks to sign in again.
function signOut() {
  s3 = admin = null;
  $("nav").hidden = true;
  $("secret-key").value = "";
  location.hash = "";
  route();
}

async function onSignIn(event) {
  event.preventDefault();
  const credentials = { accessKey: $("access-key").value.trim(), secretKey: $("secret-key").value, region: $("region").value.trim() };
  const client = new S3Client(credentials);
  // AccessDenied means the signature was good and the user may not list buckets (its policy names some): signed in.
  const ok = await attempt(() => client.listBuckets().catch(e => {
    if (e instanceof S3Error && e.code === "AccessDenied") return [];
    throw e;
  }));
  if (ok === undefined) return;
  $("error").hidden = true;
  $("secret-key").value = "";
  signIn(credentials);
  location.hash = "#buckets";
  route();
}

// ---- routing: #buckets, #b/BUCKET/PREFIX, #cluster, #users ----

function show(view) {
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
  for (const button of document.querySelectorAll("#nav button[data-view]")) {
    button.classList.toggle("active", button.dataset.view === view || (view === "objects" && button.dataset.view === "buckets"));
  }
  if (pollTimer !== null && view !== "cluster") {
    clearInterval(pollTimer);
    pollTimer = null;
  }
}

function route() {
  if (!s3) {
    show("signin");
    return;
  }
  const hash = location.hash.slice(1);
  if (hash.startsWith("b/")) {
    const rest = hash.slice(2);
    const slash = rest.indexOf("/");
    let bucket, prefix;
    try {
      bucket = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
      prefix = slash < 0 ? "" : decodeURIComponent(rest.slice(slash + 1));
    } catch {
      showError(new S3Error(0, "InvalidLocation", `the address's #${hash} is not a valid bucket and prefix (malformed %-encoding)`));
      location.hash = "#buckets";
      return;
    }
    openBucket(bucket, prefix);
  } else if (hash === "cluster") {
    show("cluster");
    refreshCluster();
    pollTimer ??= setInterval(refreshCluster, 1000);
  } else if (hash === "users") {
    show("users");
    refreshUsers();
  } else {
    show("buckets");
    refreshBuckets();
  }
}

function bucketHash(bucket, prefix = "") {
  return `#b/${encodeURIComponent(bucket)}/${encodeURIComponent(prefix)}`;
}

// ---- buckets ----

async function refreshBuckets() {
  const buckets = await attempt(() => s3.listBuckets());
  if (!buckets) return;
  fill($("buckets").tBodies[0], buckets.map(b => h("tr", { "data-bucket": b.name },
    h("td", {}, h("a", { href: bucketHash(b.name), className: "bucket-link" }, b.name)),
    h("td", {}, formatDate(b.created)),
    h("td", { className: "actions" }, h("button", {
      type: "button", className: "delete-bucket", onclick: () => deleteBucket(b.name),
    }, "Delete")))), "No buckets yet.", 3);
}

async function createBucket(event) {
  event.preventDefault();
  const name = $("new-bucket").value.trim();
  if (await attempt(() => s3.createBucket(name)) === undefined) return;
  $("new-bucket").value = "";
  notice(`Bucket ${name} created.`);
  refreshBuckets();
}

async function deleteBucket(name) {
  if (!confirm(`Delete bucket ${name}? It must be empty.`)) return;
  if (await attempt(() => s3.deleteBucket(name)) === undefined) return;
  notice(`Bucket ${name} deleted.`);
  refreshBuckets();
}

// ---- objects ----

const browse = { bucket: "", prefix: "", tokens: [null], page: 0, versioning: "" };

async function openBucket(bucket, prefix) {
  show("objects");
  if (browse.bucket !== bucket || browse.prefix !== prefix) {
    Object.assign(browse, { bucket, prefix, tokens: [null], page: 0 });
    $("share").hidden = true;
    $("preview").hidden = true;
    if (!uploading) $("upload").hidden = true;
  }
  renderBreadcrumbs();
  const status = await attempt(() => s3.versioning(bucket));
  browse.versioning = status ?? "";
  $("versions-toggle").hidden = !browse.versioning;
  $("versioning-status").textContent = browse.versioning ? `Versioning: ${browse.versioning}` : "";
  if (!browse.versioning) $("show-versions").checked = false;
  await listPage();
}

function renderBreadcrumbs() {
  const parts = [h("a", { href: bucketHash(browse.bucket), id: "crumb-bucket" }, browse.bucket)];
  let path = "";
  for (const segment of browse.prefix.split("/").filter(Boolean)) {
    path += segment + "/";
    parts.push(" / ", h("a", { href: bucketHash(browse.bucket, path) }, segment));
  }
  $("breadcrumbs").replaceChildren(...parts);
}

async function listPage() {
  const size = Number($("page-size").value);
  const marker = browse.tokens[browse.page];
  const versions = $("show-versions").checked;
  const page = await attempt(() => versions
    ? s3.listVersions(browse.bucket, browse.prefix, size, marker?.keyMarker, marker?.versionMarker)
    : s3.listObjects(browse.bucket, browse.prefix, size, marker));
  if (!page) return;
  browse.tokens[browse.page + 1] = page.next;
  $("prev-page").disabled = browse.page === 0;
  $("next-page").disabled = !page.next;
  $("page-number").textContent = `page ${browse.page + 1}`;
  const folders = page.folders.map(prefix => h("tr", { className: "folder", "data-prefix": prefix },
    h("td", {}, h("a", { href: bucketHash(browse.bucket, prefix) }, prefix.slice(browse.prefix.length))),
    h("td", {}, ""), h("td", {}, ""), h("td", {}, "")));
  const rows = versions ? page.entries.map(versionRow) : page.objects.map(objectRow);
  fill($("objects").tBodies[0], [...folders, ...rows], browse.prefix ? "Nothing under this prefix." : "The bucket is empty.", 4);
}

function objectRow(o) {
  return h("tr", { className: "object", "data-key": o.key },
    h("td", { className: "name" }, o.key.slice(browse.prefix.length)),
    h("td", {}, formatBytes(o.size)),
    h("td", {}, formatDate(o.modified)),
    h("td", { className: "actions" }, objectActions(o.key, null)));
}

function versionRow(v) {
  return h("tr", { className: v.deleteMarker ? "version delete-marker" : "version", "data-key": v.key, "data-version": v.versionId },
    h("td", { className: "name" }, v.key.slice(browse.prefix.length), " ",
      h("code", { className: "version-id" }, v.versionId), v.latest ? h("span", { className: "badge" }, "latest") : null,
      v.deleteMarker ? h("span", { className: "badge warn" }, "delete marker") : null),
    h("td", {}, v.deleteMarker ? "" : formatBytes(v.size)),
    h("td", {}, formatDate(v.modified)),
    h("td", { className: "actions" }, v.deleteMarker
      ? h("button", { type: "button", className: "delete", onclick: () => deleteObject(v.key, v.versionId) }, "Delete")
      : objectActions(v.key, v.versionId)));
}

function objectActions(key, versionId) {
  return [
    h("button", { type: "button", className: "download", onclick: () => download(key, versionId) }, "Download"),
    h("button", { type: "button", className: "preview", onclick: () => preview(key, versionId) }, "Preview"),
    h("button", { type: "button", className: "share", onclick: () => share(key, versionId) }, "Share"),
    h("button", { type: "button", className: "delete", onclick: () => deleteObject(key, versionId) }, "Delete"),
  ];
}

async function download(key, versionId) {
  const url = await attempt(() => s3.presignGet(browse.bucket, key, { versionId, attachment: true, expiresSeconds: 300 }));
  if (!url) return;
  // A HEAD first would cost a request; a failed presigned GET shows the browser's own download error instead, so
  // the signature is checked here by a ranged GET of one byte, whose S3 error (if any) is shown.
  if (await attempt(() => s3.getBlob(browse.bucket, key, versionId, "bytes=0-0").catch(e => {
    if (e.code === "InvalidRange") return null; // an empty object
    throw e;
  })) === undefined) return;
  const a = h("a", { href: url, download: key.split("/").pop() });
  document.body.append(a);
  a.click();
  a.remove();
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-sh|yaml|toml))/;
const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp|avif|bmp|svg\+xml)$/;
const TEXT_EXTENSIONS = /\.(txt|md|csv|json|xml|log|ya?ml|toml|ini|conf|sh|js|css|html?|cs|py|go|rs)$/i;
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|avif|bmp|svg)$/i;

async function preview(key, versionId) {
  const blob = await attempt(() => s3.getBlob(browse.bucket, key, versionId, "bytes=0-1048575"));
  if (blob === undefined) return;
  const image = $("preview-image");
  const text = $("preview-text");
  if (image.src) URL.revokeObjectURL(image.src);
  image.hidden = text.hidden = true;
  image.removeAttribute("src");
  $("preview-key").textContent = key;
  if (IMAGE_TYPES.test(blob.type) || (!blob.type.startsWith("text/") && IMAGE_EXTENSIONS.test(key))) {
    image.src = URL.createObjectURL(blob);
    image.alt = key;
    image.hidden = false;
  } else if (TEXT_TYPES.test(blob.type) || TEXT_EXTENSIONS.test(key)) {
    text.textContent = await blob.text();
    text.hidden = false;
  } else {
    text.textContent = `No preview for ${blob.type || "this type"}: download it instead.`;
    text.hidden = false;
  }
  $("preview").hidden = false;
}

const sharing = { key: "", versionId: null };

async function share(key, versionId) {
  Object.assign(sharing, { key, versionId });
  $("share-key").textContent = key;
  $("share").hidden = false;
  await updateShareUrl();
}

/**
 * Types a browser runs script in when opened at this origin (HTML, XHTML, SVG, XML): a shared link to one downloads
 * it (Content-Disposition: attachment) instead of rendering it.
 */
const ACTIVE_TYPES = new Set(["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"]);

async function updateShareUrl() {
  const { key, versionId } = sharing;
  // Unknown (the HEAD failed): treated as active, the safe side.
  const type = await s3.contentType(browse.bucket, key, versionId).catch(() => "text/html");
  const attachment = ACTIVE_TYPES.has(type);
  const url = await attempt(() => s3.presignGet(browse.bucket, key, {
    versionId, expiresSeconds: Number($("share-expiry").value), attachment,
  }));
  if (url) $("share-url").value = url;
  $("share-download-note").hidden = !attachment;
}

async function deleteObject(key, versionId) {
  const what = versionId ? `version ${versionId} of ${key} (for good)` : key;
  if (!confirm(`Delete ${what}?`)) return;
  if (await attempt(() => s3.deleteObject(browse.bucket, key, versionId)) === undefined) return;
  notice(`Deleted ${what}.`);
  await listPage();
}

let uploading = false;

async function uploadFiles(files) {
  const list = Array.from(files);
  if (list.length === 0) return;
  uploading = true;
  try {
    await uploadAll(list);
  } finally {
    uploading = false;
  }
}

async function uploadAll(list) {
  const { bucket, prefix } = browse; // where the files were chosen, even if the user browses on meanwhile
  const total = list.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  const started = performance.now();
  const bar = $("upload-progress");
  const percent = $("upload-percent");
  const status = $("upload-status");
  $("upload").hidden = false;
  $("upload").classList.remove("failed", "finished");
  const report = (sent, name) => {
    const fraction = total === 0 ? 1 : Math.min(1, (done + sent) / total);
    bar.value = Math.floor(fraction * 100);
    percent.textContent = `${Math.floor(fraction * 100)}%`;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? (done + sent) / seconds : 0;
    status.textContent = `${name}: ${formatBytes(done + sent)} of ${formatBytes(total)}, ${formatBytes(rate)}/s`;
  };
  report(0, list[0].name);
  for (const file of list) {
    const key = prefix + file.name;
    try {
      await s3.upload(bucket, key, file, sent => report(sent, file.name));
    } catch (e) {
      showError(e);
      $("upload").classList.add("failed");
      status.textContent = `${file.name} failed: ${e.message}`;
      await relist();
      return;
    }
    done += file.size;
  }
  report(0, list.length === 1 ? list[0].name : `${list.length} files`);
  bar.value = 100;
  percent.textContent = "100%";
  status.textContent = `Uploaded ${list.length} file${list.length === 1 ? "" : "s"} (${formatBytes(total)})`;
  $("upload").classList.add("finished");
  await relist();

  async function relist() {
    if (!$("view-objects").hidden && browse.bucket === bucket && browse.prefix === prefix) await listPage();
  }
}

// ---- cluster ----

const jobSamples = new Map(); // job id -> { at, done }: when the page first saw it running, and how far it was

let refreshing = false;

async function refreshCluster() {
  if (!admin || $("view-cluster").hidden || refreshing) return; // one round at a time, however slow a store answers
  refreshing = true;
  let status, jobs;
  try {
    [status, jobs] = await Promise.all([admin.status(), admin.jobs()]);
  } catch (e) {
    showError(e);
    clearInterval(pollTimer);
    pollTimer = null;
    return;
  } finally {
    refreshing = false;
  }
  $("degraded").textContent = String(status.degradedShards);
  $("jobs-queued").textContent = String(status.jobs.queued);
  $("jobs-running").textContent = String(status.jobs.running);
  $("jobs-failed").textContent = String(status.jobs.failed);
  fill($("stores").tBodies[0], status.stores.map(s => {
    const used = s.totalBytes > 0 ? (s.totalBytes - s.freeBytes) / s.totalBytes : 0;
    const usage = h("progress", { max: "100", value: String(Math.round(used * 100)) });
    return h("tr", { className: s.ready ? "store up" : "store down", "data-store": s.id },
      h("td", {}, s.id),
      h("td", {}, h("span", { className: s.ready ? "state up" : "state down" }, s.ready ? "up" : "down")),
      h("td", {}, !s.ready || s.latencyMs === undefined ? "–" : `${s.latencyMs.toFixed(1)} ms`), // a down store answers nothing
      h("td", {}, s.totalBytes > 0 ? [usage, ` ${Math.round(used * 100)}%`] : "–"),
      h("td", {}, s.totalBytes > 0 ? `${formatBytes(s.freeBytes)} / ${formatBytes(s.totalBytes)}` : "–"));
  }), "No stores.", 5);
  fill($("workers").tBodies[0], status.workers.map(w => h("tr", {},
    h("td", {}, w.id), h("td", {}, w.holds ?? "all"), h("td", {}, String(w.running)), h("td", {}, String(w.queued)),
    h("td", {}, `${formatBytes(w.ioBytesPerSecond)}/s`), h("td", {}, formatDate(w.heartbeat)))), "No workers reporting.", 6);
  fill($("jobs").tBodies[0], jobs.map(jobRow), "No jobs.", 9);
}

function jobRow(job) {
  const usesBytes = job.bytesTotal > 0;
  const done = usesBytes ? job.bytesDone : job.itemsDone;
  const total = usesBytes ? job.bytesTotal : job.itemsTotal;
  const finished = job.state === "succeeded" || job.state === "failed";
  const fraction = job.state === "succeeded" ? 1 : total > 0 ? Math.min(1, done / total) : 0;
  let rate = null, eta = null;
  if (job.state === "running") {
    const now = performance.now();
    const first = jobSamples.get(job.id) ?? { at: now, done };
    jobSamples.set(job.id, first);
    const seconds = (now - first.at) / 1000;
    if (seconds > 0.5 && done > first.done) {
      rate = (done - first.done) / seconds;
      eta = total > done ? (total - done) / rate : 0;
    }
  } else {
    jobSamples.delete(job.id);
  }
  const counts = total > 0
    ? (usesBytes ? `${formatBytes(done)} of ${formatBytes(total)}` : `${done} of ${total}`)
    : (job.itemsDone > 0 ? `${job.itemsDone} items` : "");
  const actions = [];
  // A running job is "cancelling" until its worker stops (about a second); a drain cannot be cancelled (the server says why).
  if (job.state === "queued" || job.state === "running") {
    actions.push(h("button", { type: "button", className: "cancel-job", onclick: () => jobAction(() => admin.cancelJob(job.id),
      job.state === "running" ? `Job ${job.id} is being cancelled.` : `Job ${job.id} cancelled.`) }, "Cancel"));
  }
  if (job.state === "failed") actions.push(h("button", { type: "button", className: "retry-job", onclick: () => jobAction(() => admin.retryJob(job.id), `Job ${job.id} queued again.`) }, "Retry"));
  return h("tr", { className: `job ${job.state}`, "data-job": String(job.id), "data-kind": job.kind, "data-target": job.target },
    h("td", {}, String(job.id)), h("td", {}, job.kind), h("td", {}, job.target),
    h("td", { className: "job-state" }, h("span", { className: `state ${job.state}` }, job.state)),
    h("td", { className: "job-progress" }, h("progress", { max: "100", value: String(Math.floor(fraction * 100)) }),
      h("span", { className: "job-percent" }, ` ${Math.floor(fraction * 100)}%`), counts ? ` ${counts}` : ""),
    h("td", {}, rate === null ? "–" : usesBytes ? `${formatBytes(rate)}/s` : `${rate.toFixed(1)}/s`),
    h("td", {}, eta === null ? "–" : formatDuration(eta)),
    h("td", { className: "job-error" }, job.lastError ?? ""),
    h("td", { className: "actions" }, actions));
}

async function jobAction(action, message) {
  if (await attempt(action) === undefined) return;
  notice(message);
  refreshCluster();
}

async function startJob(kind, target) {
  const job = await attempt(() => admin.startJob(kind, target));
  if (!job) return;
  notice(`Job ${job.id} (${job.kind} ${job.target}) queued.`);
  refreshCluster();
}

// ---- users and keys ----

async function refreshUsers() {
  const users = await attempt(() => admin.users());
  if (!users) return;
  fill($("users").tBodies[0], users.map(u => h("tr", { className: u.disabled ? "user disabled" : "user", "data-user": u.name },
    h("td", {}, u.name),
    h("td", { className: "user-state" }, u.disabled ? "disabled" : "active"),
    h("td", {}, u.accessKeys.length === 0 ? "none" : u.accessKeys.map(k => h("span", { className: "key", "data-key": k },
      h("code", {}, k), h("button", { type: "button", className: "delete-key", onclick: () => deleteKey(k) }, "Revoke")))),
    h("td", {}, formatDate(u.created)),
    h("td", { className: "actions" },
      h("button", { type: "button", className: "new-key", onclick: () => createKey(u.name) }, "New key"),
      h("button", { type: "button", className: "toggle-user", onclick: () => userAction(() => admin.setDisabled(u.name, !u.disabled), `User ${u.name} ${u.disabled ? "enabled" : "disabled"}.`) }, u.disabled ? "Enable" : "Disable"),
      h("button", { type: "button", className: "delete-user", onclick: () => confirm(`Delete user ${u.name} and its keys?`) && userAction(() => admin.deleteUser(u.name), `User ${u.name} deleted.`) }, "Delete")))),
  "No users besides the root user.", 5);
}

async function userAction(action, message) {
  if (await attempt(action) === undefined) return;
  notice(message);
  refreshUsers();
}

async function createUser(event) {
  event.preventDefault();
  const name = $("new-user").value.trim();
  if (await attempt(() => admin.createUser(name)) === undefined) return;
  $("new-user").value = "";
  notice(`User ${name} created.`);
  refreshUsers();
}

async function createKey(name) {
  const key = await attempt(() => admin.createKey(name));
  if (!key) return;
  $("new-key-user").textContent = key.user;
  $("new-key-access").textContent = key.accessKey;
  $("new-key-secret").textContent = key.secretKey;
  $("new-key").hidden = false;
  refreshUsers();
}

async function deleteKey(accessKey) {
  if (!confirm(`Revoke access key ${accessKey}?`)) return;
  await userAction(() => admin.deleteKey(accessKey), `Access key ${accessKey} revoked.`);
}

// ---- start ----

async function start() {
  // WebCrypto (crypto.subtle) exists only in a secure context: HTTPS, or http://localhost and http://127.0.0.1.
  if (!window.isSecureContext || !globalThis.crypto?.subtle) {
    $("insecure").hidden = false;
    for (const input of document.querySelectorAll("#signin-form input, #signin-form button")) input.disabled = true;
    show("signin");
    document.body.dataset.ready = "true";
    return;
  }
  $("signin-form").addEventListener("submit", onSignIn);
  $("signout").addEventListener("click", signOut);
  $("error-close").addEventListener("click", () => { $("error").hidden = true; });
  for (const button of document.querySelectorAll("#nav button[data-view]")) {
    button.addEventListener("click", () => { location.hash = "#" + button.dataset.view; });
  }
  $("create-bucket-form").addEventListener("submit", createBucket);
  $("open-bucket-form").addEventListener("submit", event => {
    event.preventDefault();
    location.hash = bucketHash($("open-bucket").value.trim());
  });
  $("upload-input").addEventListener("change", async event => {
    await uploadFiles(event.target.files);
    event.target.value = "";
  });
  $("show-versions").addEventListener("change", () => { browse.tokens = [null]; browse.page = 0; listPage(); });
  $("page-size").addEventListener("change", () => { browse.tokens = [null]; browse.page = 0; listPage(); });
  $("prev-page").addEventListener("click", () => { browse.page = Math.max(0, browse.page - 1); listPage(); });
  $("next-page").addEventListener("click", () => { browse.page++; listPage(); });
  $("share-expiry").addEventListener("change", updateShareUrl);
  $("share-copy").addEventListener("click", () => navigator.clipboard?.writeText($("share-url").value).then(() => notice("Link copied."), showError));
  $("share-close").addEventListener("click", () => { $("share").hidden = true; });
  $("preview-close").addEventListener("click", () => { $("preview").hidden = true; });
  $("start-job-form").addEventListener("submit", event => { event.preventDefault(); startJob($("job-kind").value, $("job-target").value.trim() || "*"); });
  $("start-heal").addEventListener("click", () => startJob("heal", "*"));
  $("create-user-form").addEventListener("submit", createUser);
  $("new-key-close").addEventListener("click", () => { $("new-key").hidden = true; $("new-key-secret").textContent = ""; });
  window.addEventListener("hashchange", () => { $("notice").hidden = true; route(); });

  try {
    const config = await (await fetch("config.json", { cache: "no-cache" })).json();
    $("region").value = config.region;
  } catch {
    $("region").value = "us-east-1";
  }
  try {
    sessionStorage.removeItem(LEGACY_SESSION);
  } catch {
    // storage disabled: nothing was kept there either
  }
  route();
  document.body.dataset.ready = "true";
}

start();
