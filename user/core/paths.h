/* SPDX-License-Identifier: GPL-2.0 */
/* Where xlb keeps things by default, and its version: one place for every
 * path the agent, the CLI and the doctor agree on. */
#ifndef XLB_PATHS_H
#define XLB_PATHS_H

#define XLB_VERSION "0.1.0"
#define XLB_DEFAULT_CONFIG "/etc/xlb/xlb.yaml"
/* Pinned maps and links (a bpffs). */
#define XLB_PIN_ROOT "/sys/fs/bpf/xlb"
#define XLB_CFG_DEFAULT_CONTROL_SOCKET "/run/xlb/xlb.sock"
#define XLB_CFG_DEFAULT_METRICS_LISTEN "127.0.0.1:9469"
#define XLB_CFG_DEFAULT_BIRD "/usr/sbin/bird"
#define XLB_CFG_DEFAULT_BGP_RUN_DIR "/run/xlb/bird"

#endif /* XLB_PATHS_H */
