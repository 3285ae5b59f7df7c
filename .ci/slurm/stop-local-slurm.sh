#!/usr/bin/env bash
# stop-local-slurm.sh - stop the cluster started by start-local-slurm.sh.
# (Adapted for Stowage's CI: no procps needed.)
# 1. cancels all jobs (while the daemons can still clean up),
# 2. ends slurmrestd, the slurmds and slurmctld by the PIDs in their pid files,
# 3. ends leftover slurmstepd processes of this cluster (orphaned when a slurmd
#    was killed) and their task processes. A slurmstepd is recognised by PID:
#    it keeps $SLURM_LOCAL_DIR/log/slurmd-<node>.log open (its environment is
#    wiped, so no marker can be put there),
# 4. ends munged.
# Never kills by process name. Keeps $SLURM_LOCAL_DIR (logs) unless SLURM_LOCAL_PURGE=1.
set -uo pipefail
DIR=${SLURM_LOCAL_DIR:-/tmp/slurm-local}
export SLURM_CONF=$DIR/etc/slurm.conf
unset SLURM_JWT
log() { echo "[stop-local-slurm +$SECONDS s] $*" >&2; }

pid_of() { [ -s "$1" ] && cat "$1"; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
stop_pids() { # pid... : SIGTERM all, wait up to 10 s, then SIGKILL the rest
  local p live i
  for p in "$@"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
  for i in $(seq 1 100); do
    live=""; for p in "$@"; do alive "$p" && live="$live $p"; done
    [ -z "$live" ] && return 0
    sleep 0.1
  done
  log "SIGKILL to$live"; kill -KILL $live 2>/dev/null; return 0
}
children() { # pid -> its child pids, read from /proc (a minimal image may lack ps)
  local s f rest
  for s in /proc/[0-9]*/stat; do
    read -r f 2>/dev/null < "$s" || continue
    rest=${f##*) }            # after "pid (comm) ": "state ppid ..."
    set -- $rest
    [ "${2:-}" = "$PARENT" ] && { f=${s#/proc/}; echo "${f%/stat}"; }
  done
}
descendants() { # pid -> all descendant pids
  local c
  for c in $(PARENT=$1 children); do echo "$c"; descendants "$c"; done
}

# 1. cancel all jobs
if [ -f "$SLURM_CONF" ] && alive "$(pid_of "$DIR/run/slurmctld.pid")"; then
  jobs=$(squeue -h -t PD,R,CG,CF,S -o %i 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    log "cancelling jobs: $jobs"
    scancel $jobs 2>/dev/null
    for _ in $(seq 1 50); do [ -z "$(squeue -h -t PD,R,CG,CF,S -o %i 2>/dev/null)" ] && break; sleep 0.2; done
  fi
fi

# 2. daemons, by pid file
pids=""; names=""
for f in "$DIR/run/slurmrestd.pid" "$DIR"/run/slurmd-*.pid "$DIR/run/slurmctld.pid"; do
  p=$(pid_of "$f" 2>/dev/null) || continue
  alive "$p" && { pids="$pids $p"; names="$names $(basename "$f" .pid)($p)"; }
done
if [ -n "$pids" ]; then log "stopping$names"; stop_pids $pids; fi

# 3. leftover slurmstepd of this cluster and their tasks
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = $$ ] && continue
  if ls -l "$d/fd" 2>/dev/null | grep -qF -- "-> $DIR/log/slurmd-"; then
    kids=$(descendants "$p" | tr '\n' ' ')
    log "killing leftover $p ($({ tr '\0' ' ' < "$d/cmdline"; } 2>/dev/null)) and its tasks: $kids"
    kill -KILL "$p" $kids 2>/dev/null
  fi
done

# 4. munged last
p=$(pid_of "$DIR/munge/munged.pid" 2>/dev/null) && alive "$p" && { log "stopping munged($p)"; stop_pids "$p"; }
rm -f "$DIR"/run/*.pid "$DIR/munge/munged.pid"

if [ "${SLURM_LOCAL_PURGE:-0}" = 1 ]; then rm -rf "$DIR"; log "removed $DIR"; fi
log "done"
