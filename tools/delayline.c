/* A delay line: a learning Ethernet switch between network interfaces that holds every frame
 * for a fixed time before it forwards it, for kernels without sch_netem (bench/hosts.sh).
 *
 *   delayline DELAY_US IFACE IFACE...      (root; runs until SIGINT/SIGTERM, then prints its counts)
 *
 * Each IFACE (the switch's ends of the hosts' veth pairs, not in a bridge) is read with an
 * AF_PACKET socket with PACKET_VNET_HDR, so a frame keeps its offload state (a TCP segment of up
 * to 64 KiB that still needs its checksum and segmentation is forwarded as one frame, as a bridge
 * does). A frame received at t is sent at t + DELAY_US to the interface its destination address
 * was learnt on (to every other interface while unknown, and for broadcasts): one pass through
 * the line adds DELAY_US one way, a round trip between two hosts 2 · DELAY_US. All frames wait
 * in one FIFO (the same delay for all, so arrival order is departure order) of at most 256 MB and
 * 65536 frames; a frame that does not fit is dropped and counted, as a full queue of a real switch would drop it.
 * Exit status 1 with a message naming the interface when it cannot be opened.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

enum { MAX_PORTS = 64, MAX_MACS = 256, VNET_HDR = 10, MAX_FRAME = 256 * 1024, SLOTS = 1 << 16 };
static const size_t QUEUE_BYTES = 256u << 20;

struct frame { uint64_t due_ns; unsigned char *data; uint32_t len; int32_t port; }; /* port < 0: every port but -1 - port */

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static unsigned char macs[MAX_MACS][6];
static int mac_port[MAX_MACS], nmacs;

static int lookup(const unsigned char *mac) {
    for (int i = 0; i < nmacs; i++) if (!memcmp(macs[i], mac, 6)) return mac_port[i];
    return -1;
}

static void learn(const unsigned char *mac, int port) {
    if (mac[0] & 1) return;
    for (int i = 0; i < nmacs; i++) if (!memcmp(macs[i], mac, 6)) { mac_port[i] = port; return; }
    if (nmacs < MAX_MACS) { memcpy(macs[nmacs], mac, 6); mac_port[nmacs++] = port; }
}

static struct frame queue[SLOTS];
static unsigned char buffer[MAX_FRAME];

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: delayline DELAY_US IFACE IFACE...\n"); return 2; }
    char *end;
    double delay_us = strtod(argv[1], &end);
    if (*end || delay_us < 0) { fprintf(stderr, "delayline: bad delay '%s' (microseconds, >= 0)\n", argv[1]); return 2; }
    uint64_t delay_ns = (uint64_t)(delay_us * 1000);
    int nports = argc - 2;
    if (nports > MAX_PORTS) { fprintf(stderr, "delayline: at most %d interfaces\n", MAX_PORTS); return 2; }
    struct pollfd fds[MAX_PORTS];
    for (int p = 0; p < nports; p++) {
        const char *name = argv[p + 2];
        int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
        if (s < 0) { fprintf(stderr, "delayline: %s: socket: %s\n", name, strerror(errno)); return 1; }
        int one = 1, big = 64 << 20;
        if (setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
            fprintf(stderr, "delayline: %s: PACKET_VNET_HDR: %s\n", name, strerror(errno)); return 1;
        }
        setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
        setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
        struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex(name) };
        if (a.sll_ifindex == 0) { fprintf(stderr, "delayline: %s: no such interface\n", name); return 1; }
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) { fprintf(stderr, "delayline: %s: bind: %s\n", name, strerror(errno)); return 1; }
        fds[p] = (struct pollfd){ .fd = s, .events = POLLIN };
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    size_t head = 0, count = 0, queued = 0; /* queue[head .. head + count) modulo SLOTS */
    uint64_t frames = 0, bytes = 0, drops = 0, truncated = 0, send_errors = 0, max_queued = 0, late_max_ns = 0, late_sum_ns = 0, late_50us = 0, sent = 0;
    while (!stop) {
        uint64_t t = now_ns();
        while (count > 0 && queue[head].due_ns <= t) { /* send everything due */
            struct frame *f = &queue[head];
            uint64_t late = t - f->due_ns;
            if (late > late_max_ns) late_max_ns = late;
            late_sum_ns += late; late_50us += late > 50000; sent++;
            for (int p = 0; p < nports; p++) {
                if (f->port >= 0 ? p != f->port : p == -1 - f->port) continue;
                if (send(fds[p].fd, f->data, f->len, 0) < 0) send_errors++;
            }
            queued -= f->len;
            free(f->data);
            head = (head + 1) % SLOTS; count--;
        }
        struct timespec ts, *tsp = NULL;
        if (count > 0) {
            uint64_t w = queue[head].due_ns - t;
            ts.tv_sec = (time_t)(w / 1000000000u); ts.tv_nsec = (long)(w % 1000000000u); tsp = &ts;
        }
        int k = ppoll(fds, (nfds_t)nports, tsp, NULL);
        if (k < 0) { if (errno == EINTR) continue; perror("delayline: ppoll"); return 1; }
        if (k == 0) continue;
        uint64_t arrived = now_ns();
        for (int p = 0; p < nports; p++) {
            if (!(fds[p].revents & POLLIN)) continue;
            for (int burst = 0; burst < 64; burst++) {
                struct sockaddr_ll from;
                socklen_t fl = sizeof from;
                ssize_t n = recvfrom(fds[p].fd, buffer, sizeof buffer, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);
                if (n < 0) break;
                if (from.sll_pkttype == PACKET_OUTGOING) continue;
                if (n > MAX_FRAME) { truncated++; continue; }
                if (n < VNET_HDR + 14) continue;
                unsigned char *eth = buffer + VNET_HDR;
                learn(eth + 6, p);
                int out = (eth[0] & 1) ? -1 : lookup(eth);
                if (out == p) continue;
                unsigned char *copy = count < SLOTS && queued + (size_t)n <= QUEUE_BYTES ? malloc((size_t)n) : NULL;
                if (!copy) { drops++; continue; }
                memcpy(copy, buffer, (size_t)n);
                queue[(head + count) % SLOTS] = (struct frame){ arrived + delay_ns, copy, (uint32_t)n, out >= 0 ? out : -1 - p };
                count++; queued += (size_t)n;
                if (queued > max_queued) max_queued = queued;
                frames++; bytes += (uint64_t)n - VNET_HDR;
            }
        }
    }
    fprintf(stderr, "delayline: %.0f us: %llu frames, %.1f MB forwarded; %llu dropped (queue full), %llu too long, "
            "%llu send errors; queue at most %.1f MB; sent late by %.0f us on average, %.1f %% of frames by more than 50 us, "
            "at most %.0f us\n", delay_us,
            (unsigned long long)frames, bytes / 1e6, (unsigned long long)drops, (unsigned long long)truncated,
            (unsigned long long)send_errors, max_queued / 1e6, sent ? late_sum_ns / 1e3 / (double)sent : 0.0,
            sent ? 100.0 * (double)late_50us / (double)sent : 0.0, late_max_ns / 1e3);
    return 0;
}
