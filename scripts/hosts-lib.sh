# Network-namespace hosts for the multi-host checks (sourced by scripts/test-hosts.sh).
#
# hosts_up K creates K hosts, each a network namespace with its own address, hostname (a UTS
# namespace entered at every command) and /etc/hosts, joined by veth pairs to a bridge that
# lives in a namespace of its own, so that nothing of the machine's own network is touched.
# Names and addresses derive from the shell's process id, so that runs side by side do not
# clash. hosts_down removes everything (run from an EXIT trap).
#
# After hosts_up:
#   HOSTS[i]        the hostname of host i (1-based), also its namespace's name
#   ADDRESS[i]      its address (10.x.y.i/24)
#   AGENT           the launcher agent for mpirun (`AGENT HOST command…` runs the command on HOST)
#   on HOST cmd…    runs a command on HOST (network, hostname and /etc/hosts of that host)
#   link_down HOST  takes HOST's link down (its end on the bridge and its own)
#   kill_host HOST  kill -9 of every process on HOST
#   hmpirun …       mpirun, started on host 1, every byte over TCP on the veth network
#                   (HMPI_TIMEOUT=S: ended after S seconds; HMPI_OPTS: more mpirun options;
#                   HMPI_BTL=tcp,vader,self: ranks of one host over shared memory, the default
#                   tcp,self puts them on TCP too)
#   delay US        the hosts' links leave the bridge for tools/delayline.c, a switch that holds
#                   every frame US microseconds (one way; a round trip 2·US); `delay off`: back
#                   to the bridge (for kernels without sch_netem)
#   shape RATE      every host's eth0 sends at RATE (tc tbf, e.g. 1gbit; `unshaped`: no qdisc)
#   link_ready L    for the benchmarks that compare links: L shm is one host (nothing to do);
#                   any other L brings up 2 hosts × 1 slot at the first call (torn down at exit)
#                   and shapes them to L; link_mpirun L [mpirun options] BINARY ARGS… then runs 2
#                   ranks on that link (shm: mpirun --oversubscribe -np 2 on this machine)
#   slurm_up        a Slurm cluster on the hosts (slurmctld on host 1, a slurmd on each; SLURM_CONF
#                   exported), slurm_reason why it cannot be made (empty when it can)

HOSTS_ID="v$$"
HOSTS_DIR=""
HMPI_OPTS=${HMPI_OPTS:-}
HOSTS=()
ADDRESS=()
SWITCH="${HOSTS_ID}sw"

hosts_reason() {
    # Why namespace hosts cannot be made here (empty when they can).
    [ "$(id -u)" = 0 ] || { echo "not root (network namespaces need CAP_SYS_ADMIN)"; return; }
    command -v ip >/dev/null || { echo "iproute2's ip not found (apt-get install iproute2)"; return; }
    command -v unshare >/dev/null || { echo "unshare not found (util-linux)"; return; }
    ip netns add "${HOSTS_ID}probe" 2>/dev/null || { echo "ip netns add failed (no namespace support in this container?)"; return; }
    ip netns del "${HOSTS_ID}probe"
}

on() {
    local host=$1; shift
    ip netns exec "$host" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
}

hosts_up() {
    local k=$1 i
    HOSTS_DIR=$(mktemp -d)
    local a=$(( ($$ >> 8) & 255 )) b=$(( $$ & 255 ))
    ip netns add "$SWITCH"
    ip -n "$SWITCH" link add br0 type bridge
    ip -n "$SWITCH" link set br0 up
    ip -n "$SWITCH" link set lo up
    for i in $(seq 1 "$k"); do
        HOSTS[i]="${HOSTS_ID}h$i"
        ADDRESS[i]="10.$a.$b.$i"
    done
    for i in $(seq 1 "$k"); do
        local h=${HOSTS[i]}
        ip netns add "$h"
        ip -n "$h" link set lo up
        # eth0 inside the host, p$i on the bridge: made inside the namespaces, never in the machine's own.
        ip -n "$h" link add eth0 type veth peer name "p$i" netns "$SWITCH"
        ip -n "$SWITCH" link set "p$i" master br0 up
        ip -n "$h" addr add "${ADDRESS[i]}/24" dev eth0
        ip -n "$h" link set eth0 up
        # ip netns exec bind-mounts /etc/netns/NAME/* over /etc: each host resolves the others.
        mkdir -p "/etc/netns/$h"
        { echo "127.0.0.1 localhost"; for j in $(seq 1 "$k"); do echo "${ADDRESS[j]} ${HOSTS[j]}"; done; } >"/etc/netns/$h/hosts"
    done
    AGENT="$HOSTS_DIR/agent"
    # Open MPI calls the agent as ssh: AGENT HOST word…, the words forming a shell command.
    cat >"$AGENT" <<EOF
#!/bin/sh
host=\$1; shift
exec ip netns exec "\$host" unshare --uts sh -c 'hostname "\$0" && eval "exec \$*"' "\$host" "\$@"
EOF
    chmod +x "$AGENT"
}

hostfile() {
    # hostfile FILE SLOTS HOST…: one line per host.
    local f=$1 slots=$2; shift 2
    : >"$f"
    for h in "$@"; do echo "$h slots=$slots" >>"$f"; done
}

hmpirun() {
    # Every byte over TCP on eth0 (no shared memory, no loopback between hosts): the
    # out-of-band channel of the launcher and the MPI messages alike.
    on "${HOSTS[1]}" ${HMPI_TIMEOUT:+timeout "$HMPI_TIMEOUT"} mpirun --mca plm_rsh_agent "$AGENT" --mca btl "${HMPI_BTL:-tcp,self}" \
        --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0 \
        --mca plm_rsh_no_tree_spawn 1 \
        -x VGG_CONV_ALGORITHM $HMPI_OPTS "$@"
}

shape() {
    # shape RATE: every host's eth0 sends at RATE (tbf; burst: 1 ms of the rate, at least 128 KiB).
    local rate=$1 i
    for i in "${!HOSTS[@]}"; do
        ip netns exec "${HOSTS[i]}" tc qdisc del dev eth0 root 2>/dev/null || true
        [ "$rate" = unshaped ] && continue
        local bits=$(python3 -c "import re,sys; m=re.fullmatch(r'([0-9.]+)([kmg]?)bit', sys.argv[1]); print(int(float(m[1]) * {'':1,'k':1e3,'m':1e6,'g':1e9}[m[2]]))" "$rate")
        local burst=$(( bits / 8 / 1000 > 131072 ? bits / 8 / 1000 : 131072 ))
        ip netns exec "${HOSTS[i]}" tc qdisc add dev eth0 root tbf rate "$rate" burst "$burst" latency 50ms
    done
}

link_down() {
    local h=$1 i
    for i in "${!HOSTS[@]}"; do [ "${HOSTS[i]}" = "$h" ] && ip -n "$SWITCH" link set "p$i" down; done
    ip -n "$h" link set eth0 down
}

kill_host() {
    local pids
    pids=$(ip netns pids "$1" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
}

DELAY_PID=""
delay() {
    local us=$1 i ports=()
    if [ -n "$DELAY_PID" ]; then
        kill -TERM "$DELAY_PID" 2>/dev/null || true
        wait "$DELAY_PID" 2>/dev/null || true
        DELAY_PID=""
    fi
    for i in "${!HOSTS[@]}"; do ports+=("p$i"); done
    if [ "$us" = off ]; then
        for p in "${ports[@]}"; do ip -n "$SWITCH" link set "$p" master br0; done
        return
    fi
    [ -x "$HOSTS_DIR/delayline" ] || cc -O2 -o "$HOSTS_DIR/delayline" "$(dirname "${BASH_SOURCE[0]}")/../tools/delayline.c" \
        || { echo "hosts-lib.sh: tools/delayline.c did not compile (cc needed)" >&2; return 1; }
    for p in "${ports[@]}"; do ip -n "$SWITCH" link set "$p" nomaster; done
    ip netns exec "$SWITCH" ${DELAY_CHRT:+chrt -f 10} "$HOSTS_DIR/delayline" "$us" "${ports[@]}" 2>>"$HOSTS_DIR/delayline.log" &
    DELAY_PID=$!
    sleep 0.2
    kill -0 "$DELAY_PID" 2>/dev/null || { echo "hosts-lib.sh: delayline failed: $(cat "$HOSTS_DIR/delayline.log")" >&2; DELAY_PID=""; return 1; }
}

hosts_down() {
    [ "$BASHPID" = "$$" ] || return 0  # an EXIT trap run in a forked child (see chaos.sh) tears nothing down
    local h
    if [ -n "$DELAY_PID" ]; then kill -TERM "$DELAY_PID" 2>/dev/null || true; wait "$DELAY_PID" 2>/dev/null || true; DELAY_PID=""; fi
    [ -n "$SWITCH" ] && kill_host "$SWITCH"
    for h in "${HOSTS[@]}"; do
        [ -n "$h" ] || continue
        kill_host "$h"
        ip netns del "$h" 2>/dev/null || true
        rm -rf "/etc/netns/$h"
    done
    ip netns del "$SWITCH" 2>/dev/null || true
    [ -n "$HOSTS_DIR" ] && rm -rf "$HOSTS_DIR"
    HOSTS=()
}

link_ready() {
    local link=$1 reason
    [ "$link" = shm ] && return 0
    if [ ${#HOSTS[@]} -eq 0 ]; then
        reason=$(hosts_reason)
        [ -z "$reason" ] || { echo "$0: $reason" >&2; exit 1; }
        trap hosts_down EXIT
        trap 'exit 130' INT TERM
        hosts_up 2
        hostfile "$HOSTS_DIR/hosts" 1 "${HOSTS[1]}" "${HOSTS[2]}"
    fi
    shape "$link"
}

link_mpirun() {
    local link=$1; shift
    if [ "$link" = shm ]; then mpirun --allow-run-as-root --oversubscribe -np 2 "$@"
    else hmpirun --hostfile "$HOSTS_DIR/hosts" -np 2 "$@"; fi
}

slurm_reason() {
    # Why a Slurm cluster cannot be made on the hosts (empty when it can). Installs Debian's
    # slurmctld, slurmd and slurm-client when missing (no daemon is started by the packages
    # without /etc/slurm/slurm.conf; munge comes along but is not used: auth/none).
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v srun >/dev/null; then
        DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client >/dev/null 2>&1 \
            || { echo "Slurm not installed and apt-get install slurmctld slurmd slurm-client failed"; return; }
    fi
    [ -f /usr/lib/x86_64-linux-gnu/slurm-wlm/auth_none.so ] || [ -n "$(find /usr/lib -name auth_none.so 2>/dev/null | head -1)" ] \
        || echo "this Slurm has no auth/none plugin"
}

slurm_up() {
    # A Slurm cluster on the hosts of hosts_up: slurmctld on host 1, one slurmd per host (its
    # node name is the host's hostname), everything (configuration, state, spool, logs) under
    # $HOSTS_DIR/slurm; clients find it through SLURM_CONF. auth/none (no munge daemon), no
    # cgroups (proctrack/linuxproc, task/none). Each node's TmpFS is its own, so that PMIx's
    # per-step directories of two nodes on this one file system do not collide. hosts_down
    # ends the daemons with every other process of the hosts.
    local s="$HOSTS_DIR/slurm" i h
    mkdir -p "$s/state"
    for h in "${HOSTS[@]}"; do mkdir -p "$s/spool/$h" "$s/tmp/$h"; done
    {
        echo "ClusterName=vgg"
        echo "SlurmctldHost=${HOSTS[1]}(${ADDRESS[1]})"
        echo "AuthType=auth/none"
        echo "CredType=cred/none"
        echo "SlurmUser=root"
        echo "SlurmdUser=root"
        echo "StateSaveLocation=$s/state"
        echo "SlurmdSpoolDir=$s/spool/%n"
        echo "TmpFS=$s/tmp/%n"
        echo "SlurmctldPidFile=$s/slurmctld.pid"
        echo "SlurmdPidFile=$s/slurmd-%n.pid"
        echo "SlurmctldLogFile=$s/slurmctld.log"
        echo "SlurmdLogFile=$s/slurmd-%n.log"
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
        echo "JobAcctGatherType=jobacct_gather/none"
        echo "AccountingStorageType=accounting_storage/none"
        echo "SelectType=select/cons_tres"
        echo "SelectTypeParameters=CR_CPU"
        echo "MpiDefault=none"
        echo "ReturnToService=2"
        echo "SlurmdParameters=config_overrides"
        for i in "${!HOSTS[@]}"; do echo "NodeName=${HOSTS[i]} NodeAddr=${ADDRESS[i]} CPUs=2 State=UNKNOWN"; done
        echo "PartitionName=all Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
    } >"$s/slurm.conf"
    # The namespaces mount no cgroup file system: the v1 plugin is loaded but never used.
    echo "CgroupPlugin=cgroup/v1" >"$s/cgroup.conf"
    export SLURM_CONF="$s/slurm.conf"
    on "${HOSTS[1]}" slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start: $(tail -3 "$s/slurmctld.log" 2>/dev/null)"; return 1; }
    for h in "${HOSTS[@]}"; do
        on "$h" slurmd -f "$SLURM_CONF" || { echo "slurmd on $h did not start: $(tail -3 "$s/slurmd-$h.log" 2>/dev/null)"; return 1; }
    done
    for _ in $(seq 150); do
        on "${HOSTS[1]}" sinfo -h -o '%T %D' 2>/dev/null | grep -q "^idle ${#HOSTS[@]}\$" && return 0
        sleep 0.2
    done
    echo "the nodes were not idle after 30 s: $(on "${HOSTS[1]}" sinfo 2>&1 | tail -3)"
    return 1
}
