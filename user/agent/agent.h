/* SPDX-License-Identifier: GPL-2.0 */
/* The agent: owns the maps, applies the config, serves the control API. */
#ifndef XLB_AGENT_H
#define XLB_AGENT_H

#include <stdbool.h>
#include "core/paths.h"
#include "xlb_abi.h"


struct agent_opts {
	const char *config_path;
	const char *log_level;	/* NULL = from config */
	const char *pin_root;	/* default XLB_PIN_ROOT */
	const char *bpf_obj_dir; /* unused with skeletons; kept for upgrades */
};

/* Runs the agent until SIGTERM/SIGINT; returns the process exit code. */
int agent_run(const struct agent_opts *opts);

/* Detaches every interface the agent attached and removes its pins. */
int agent_detach_all(const char *pin_root);

#endif /* XLB_AGENT_H */
