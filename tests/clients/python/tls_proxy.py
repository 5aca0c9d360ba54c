"""A TLS front for a plain-HTTP endpoint: accepts TLS on 127.0.0.1:PORT with CERT/KEY and pipes the bytes, unchanged
(the Host header and so the signature included), to 127.0.0.1:BACKEND. For clients that refuse to send SSE-C keys
over plain HTTP (rclone's AWS SDK: "ConfigError: cannot send SSE keys over HTTP"). Prints "ready" once listening."""
import socket
import ssl
import sys
import threading

port, backend, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)


def pipe(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client):
    try:
        tls = context.wrap_socket(client, server_side=True)
        upstream = socket.create_connection(("127.0.0.1", backend))
    except OSError:
        client.close()
        return
    threading.Thread(target=pipe, args=(upstream, tls), daemon=True).start()
    pipe(tls, upstream)


listener = socket.create_server(("127.0.0.1", port))
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
