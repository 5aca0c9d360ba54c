# Sourced by the perf scripts that compare with nginx: start_nginx PORT starts Debian's nginx in the foreground,
# detached (setsid, like the servers it is compared with), serving and storing (WebDAV PUT and DELETE) files under
# $work/nginx on 127.0.0.1:PORT without an access log; its PID is in nginx_pid, for the script to stop.
start_nginx() {
  # nginx workers run unprivileged: they need to reach and write its folders.
  chmod 755 "$work" && mkdir -p "$work/nginx/root" "$work/nginx/tmp" && chmod -R 777 "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_max_body_size 0;
  client_body_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$1;
    root $work/nginx/root;
    location / { dav_methods PUT DELETE; create_full_put_path on; dav_access user:rw group:rw all:rw; }
  }
}
CONF
  setsid nginx -c "$work/nginx/nginx.conf" &
  nginx_pid=$!
}
