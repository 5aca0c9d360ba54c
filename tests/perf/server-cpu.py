#!/usr/bin/env python3
"""Runs a command (the bench) and prints the CPU seconds the given server processes (and their children) used in the
last WINDOW seconds before it exited: the bench prepares objects first and measures for its --duration at the end, so
that window is the measured phase. Usage: server-cpu.py WINDOW PID[,PID...] -- command..."""
import os, subprocess, sys, time

def cpu_seconds(roots):
    """utime + stime of the roots and every descendant, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total = 0.0
    for pid, t in times.items():
        p = pid
        while p > 1:
            if p in roots:
                total += t
                break
            p = parents.get(p, 0)
    return total

window = float(sys.argv[1])
roots = {int(p) for p in sys.argv[2].split(",")}
command = sys.argv[sys.argv.index("--") + 1:]
samples = []
process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
while process.poll() is None:
    samples.append((time.monotonic(), cpu_seconds(roots)))
    time.sleep(0.05)
end, last = time.monotonic(), cpu_seconds(roots)
start = next((c for t, c in reversed(samples) if t <= end - window), samples[0][1] if samples else last)
print(f"{last - start:.4f}")
sys.exit(process.returncode)
