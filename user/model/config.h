/* SPDX-License-Identifier: GPL-2.0 */
/* The xlb config file (YAML): parsed and validated into plain C structs. */
#ifndef XLB_CONFIG_H
#define XLB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/paths.h"
#include "model/weights.h"
#include "xlb_abi.h"

#define XLB_CFG_DEFAULT_WEIGHT 100
#define XLB_CFG_MAX_WEIGHT 65535
/* VIP names are shown by the CLI and kept by the runtime state. */
#define XLB_CFG_NAME_MAX 63

/* Health check defaults (HAProxy's rise and fall). */
#define XLB_CFG_HC_INTERVAL_MS 1000
#define XLB_CFG_HC_TIMEOUT_MS 500
#define XLB_CFG_HC_RISE 2
#define XLB_CFG_HC_FALL 3

#define XLB_CFG_BGP_HOLD_TIME_S 3
#define XLB_CFG_BFD_INTERVAL_MS 100
#define XLB_CFG_BFD_MULTIPLIER 3

enum cfg_forwarding {
	CFG_FWD_IPIP,	/* IPIP/IP6IP6/4in6/6in4: outer family = backend's */
};

enum cfg_affinity {
	CFG_AFFINITY_NONE,	/* hash the 5-tuple */
	CFG_AFFINITY_SOURCE_IP,	/* hash the client address only */
};

enum cfg_when_all_down {
	CFG_ALL_DOWN_DROP,
	CFG_ALL_DOWN_PASS,	/* hand the packets to the local stack */
};

enum cfg_weighting {
	CFG_WEIGHTING_DYNAMIC,	/* effective weight from latency and errors */
	CFG_WEIGHTING_STATIC,	/* the configured weights, as written */
	CFG_WEIGHTING_LEAST_CONN,	/* fewest active flows per base unit */
};

/* Zone names: letters, digits, '.', '-', '_' ("eu-west-1a", "rack.12"). */
#define XLB_CFG_ZONE_MAX 63

/* In the order of enum hc_type of health.h. */
enum cfg_hc_type {
	CFG_HC_NONE,
	CFG_HC_TCP,
	CFG_HC_HTTP,
	CFG_HC_HTTPS,
	CFG_HC_GRPC,
};

/* Which health_check keys the file wrote (at this level or inherited). */
enum {
	CFG_HC_SET_TYPE = 1 << 0,
	CFG_HC_SET_PORT = 1 << 1,
	CFG_HC_SET_PATH = 1 << 2,
	CFG_HC_SET_HOST = 1 << 3,
	CFG_HC_SET_STATUS = 1 << 4,
	CFG_HC_SET_BODY = 1 << 5,
	CFG_HC_SET_TLS = 1 << 6,
	CFG_HC_SET_TLS_VERIFY = 1 << 7,
	CFG_HC_SET_SERVICE = 1 << 8,
	CFG_HC_SET_INTERVAL = 1 << 9,
	CFG_HC_SET_TIMEOUT = 1 << 10,
	CFG_HC_SET_RISE = 1 << 11,
	CFG_HC_SET_FALL = 1 << 12,
};

/* One health check, defaults filled in. Strings are owned (NULL = unset). */
struct xlb_cfg_hc {
	enum cfg_hc_type type;	/* default tcp */
	__u16 port;		/* host order. In a backend: the port to probe,
				 * always set unless type is none. In a VIP:
				 * health_check.port, else the VIP's port
				 * (0 for an all-ports VIP) */
	char *path;		/* http(s): request path, default "/" */
	char *host;		/* http(s) Host header, grpc authority, TLS
				 * name; NULL = the backend's address */
	__u16 status_min;	/* http(s): healthy statuses, default 200..399 */
	__u16 status_max;
	char *body;		/* http(s): substring the body must hold */
	bool tls;		/* grpc: over TLS instead of cleartext h2c */
	bool tls_verify;	/* https, grpc+tls: verify the certificate
				 * (default true) */
	char *service;		/* grpc: service name; NULL = the server */
	__u32 interval_ms;	/* between probes, default 1000 */
	__u32 timeout_ms;	/* per probe, default 500 */
	__u32 rise;		/* successes to go up, default 2 */
	__u32 fall;		/* failures to go down, default 3 */
	unsigned int set;	/* CFG_HC_SET_*: what the file wrote */
};

struct xlb_cfg_backend {
	union xlb_addr addr;	/* network order */
	__u8 family;		/* XLB_FAMILY_V4 or XLB_FAMILY_V6 */
	__u16 port;		/* host order; 0 = not given (the VIP's) */
	__u32 weight;		/* 0..65535, default 100; 0 = no new flows */
	bool hc_override;	/* the backend has its own health_check keys */
	struct xlb_cfg_hc health_check;	/* effective: the VIP's check with
					 * this backend's overrides */
	unsigned int line;	/* where it is in the file */
	char *zone;		/* zone: NAME; NULL = none */
};

struct xlb_cfg_vip {
	char *name;		/* unique; default "ADDRESS:PORT/PROTOCOL" */
	union xlb_addr addr;	/* network order */
	__u8 family;		/* XLB_FAMILY_V4 or XLB_FAMILY_V6 */
	__u8 protocol;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u16 port;		/* host order; 0 = every port */
	enum cfg_forwarding forwarding;
	enum cfg_affinity affinity;
	enum cfg_when_all_down when_all_down;
	enum cfg_weighting weighting;
	/* weight_floor, weight_cap, degrade_latency, degrade_errors,
	 * degrade_recovery, slow_start, rebuild_threshold,
	 * min_rebuild_interval, prefer_zone, zone_min_healthy:
	 * weights_params_init()'s defaults, the file's values over them, and
	 * mode following weighting. Kept, but mostly unused, with weighting:
	 * static (slow start and zones still apply). */
	struct weights_params weights;
	__u32 table_size;	/* Maglev slots, prime, default 65537 */
	struct xlb_cfg_hc health_check;	/* as written for the VIP; what
					 * probes use is in each backend */
	struct xlb_cfg_backend *backends;
	size_t n_backends;
	unsigned int line;
};

/* bgp.neighbors[]: a router the VIPs are announced to. */
struct xlb_cfg_bgp_neighbor {
	union xlb_addr addr;	/* network order */
	__u8 family;		/* its session carries VIPs of this family */
	__u32 as;		/* its AS number */
	__u16 port;		/* host order, default 179 */
	char *password;		/* TCP MD5 secret; NULL = none */
	unsigned int line;
};

/* The bgp: section: the agent runs a BIRD speaker that announces each
 * VIP address while the VIP has a backend up and the data path is
 * attached. */
struct xlb_cfg_bgp {
	bool enabled;		/* the file has a bgp: section */
	__u32 local_as;
	bool has_router_id;
	union xlb_addr router_id;	/* IPv4; unset: BIRD picks one */
	__u32 hold_time_s;	/* 3..65535, default 3 */
	bool bfd;		/* BFD on every session */
	__u32 bfd_interval_ms;	/* default 100 */
	__u32 bfd_multiplier;	/* default 3 */
	bool has_med;
	__u32 med;
	__u32 *communities;	/* (ASN << 16) | VALUE */
	size_t n_communities;
	char **vips;		/* VIP names to announce; none = every VIP */
	size_t n_vips;
	struct xlb_cfg_bgp_neighbor *neighbors;	/* at least one */
	size_t n_neighbors;
	char *bird;		/* the BIRD 2 binary, default /usr/sbin/bird */
	char *run_dir;		/* its config and control socket */
};

struct xlb_cfg {
	char *source;		/* file name as given, for messages */
	char **interfaces;	/* device names, at least one */
	size_t n_interfaces;
	char *xdp_mode;		/* "auto" (default), "native" or "generic" */
	char *control_socket;	/* default /run/xlb/xlb.sock */
	char *metrics_listen;	/* "ADDR:PORT" (127.0.0.1:9469); "" = off */
	union xlb_addr metrics_addr;	/* metrics_listen parsed */
	__u8 metrics_family;	/* 0 = all addresses (":PORT") */
	__u16 metrics_port;	/* host order */
	__u32 flow_table_size;	/* flow entries, default 1000000 */
	__u32 hash_seed;	/* default 0; the same on every host */
	char *hash_secret_file;	/* the fleet's flow hash key: root-only, 32
				 * hex digits; NULL = jhash with hash_seed */
	struct xlb_hash_key hash_key;	/* read from it by
					 * config_read_hash_key() */
	__u32 icmp_rate;	/* too-big replies a second per CPU (1000) */
	char *log_level;	/* "warn", "info" (default) or "debug" */
	bool has_gateway_mac;
	__u8 gateway_mac[6];
	bool has_encap_source4;
	union xlb_addr encap_source4;	/* outer IPv4 source base */
	bool has_encap_source6;
	union xlb_addr encap_source6;	/* outer IPv6 source base */
	char *zone;		/* the balancer host's zone; NULL = none */
	struct xlb_cfg_vip *vips;
	size_t n_vips;
	struct xlb_cfg_bgp bgp;
};

/*
 * Reads, parses and validates path. Returns 0 with *out set (free it with
 * config_free), or -errno (-ENOENT, -EACCES, ..., -EINVAL for a config that
 * is not valid, -ENOMEM) with *out untouched and one line in err:
 * "FILE:LINE: FIELD: message".
 */
int config_load(const char *path, struct xlb_cfg **out, char *err,
		size_t errlen);
/* The same for a config held in memory; name stands for the file name. */
int config_parse_string(const char *yaml, const char *name,
			struct xlb_cfg **out, char *err, size_t errlen);
/* NULL is a no-op. */
void config_free(struct xlb_cfg *cfg);

/* The VIP with that name, or NULL. */
const struct xlb_cfg_vip *config_vip_find(const struct xlb_cfg *cfg,
					  const char *name);
/* The VIP's key in the vips map (network order). */
void config_vip_key(const struct xlb_cfg_vip *vip, struct xlb_vip_key *key);
/* Whether bgp: announces the VIP (listed in bgp.vips, or no list). */
bool config_bgp_announces(const struct xlb_cfg *cfg, const char *vip_name);
/* Its XLB_VIP_* flags. */
__u32 config_vip_flags(const struct xlb_cfg_vip *vip);
/* Writes the config's part of the data path's settings: hash_seed,
 * icmp_rate, gw_mac (zero without gateway_mac), and src4/src6 when
 * encap_source4/6 are given (left as they are otherwise, for the agent's
 * defaults). The rest of dp is left as it is. */
void config_dp_settings(const struct xlb_cfg *cfg, struct xlb_config *dp);

/* Reads hash_secret_file, if set, into cfg->hash_key (SipHash-1-3); with
 * none, hash_key says jhash. Returns 0, or -errno with one line in err
 * naming the file (missing, not root's, open to group or others, not 32
 * hex digits). Apart from config_load: only the agent needs the secret. */
int config_read_hash_key(struct xlb_cfg *cfg, char *err, size_t errlen);

/* 1..XLB_CFG_ZONE_MAX letters, digits, '.', '-' or '_'. */
bool config_zone_name_ok(const char *s);

const char *config_hc_type_name(enum cfg_hc_type type);
const char *config_forwarding_name(enum cfg_forwarding f);
const char *config_affinity_name(enum cfg_affinity a);
const char *config_when_all_down_name(enum cfg_when_all_down w);
const char *config_weighting_name(enum cfg_weighting w);

#endif /* XLB_CONFIG_H */
