// SPDX-License-Identifier: GPL-2.0
/* XDP on interfaces: attach and detach, pinned links that survive the
 * agent, what a device runs, and the pass-all probe doctor tries modes
 * with. Works on program fds; knows no skeleton. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "dp/attach.h"
#include "core/log.h"

int xdp_attach(int ifindex, int prog_fd, enum xdp_mode mode)
{
	int err;

	if (mode == XDP_MODE_GENERIC)
		return bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_SKB_MODE,
				      NULL);
	err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err && mode == XDP_MODE_AUTO) {
		pr_info("native XDP unavailable on ifindex %d (%s), "
			"falling back to generic\n",
			ifindex, strerror(-err));
		err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_SKB_MODE,
				     NULL);
	}
	return err;
}

int xdp_detach(int ifindex)
{
	int err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);

	if (err)
		err = bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	return err;
}

static __u32 xdp_flags(enum xdp_mode mode)
{
	return mode == XDP_MODE_GENERIC ? XDP_FLAGS_SKB_MODE
					: XDP_FLAGS_DRV_MODE;
}

int xdp_link_attach(int ifindex, int prog_fd, enum xdp_mode mode,
		    const char *link_path, bool *upgraded)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	int fd, err;

	*upgraded = false;
	/* A pin whose device went away (or was made again under the same
	 * name, with a new ifindex) holds a link that runs nowhere. */
	err = xdp_link_ifindex(link_path);
	if (err >= 0 && err != ifindex) {
		pr_info("%s: pinned link is on ifindex %d, not %d: replaced\n",
			link_path, err, ifindex);
		unlink(link_path);
	}
	fd = bpf_obj_get(link_path);
	if (fd >= 0) {
		err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
		close(fd);
		*upgraded = !err;
		return err;
	}
	lopts.flags = xdp_flags(mode);
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
	if (fd < 0 && mode == XDP_MODE_AUTO) {
		pr_info("native XDP unavailable on ifindex %d (%s), "
			"falling back to generic\n",
			ifindex, strerror(errno));
		lopts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
	}
	if (fd < 0)
		return -errno;
	err = bpf_obj_pin(fd, link_path) ? -errno : 0;
	close(fd);	/* the pin holds the link; on error this detaches */
	return err;
}

int xdp_link_ifindex(const char *link_path)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(link_path), err = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else if (info.type != BPF_LINK_TYPE_XDP)
		err = -EINVAL;
	close(fd);
	return err ? err : (int)info.xdp.ifindex;
}

int xdp_link_detach(const char *link_path)
{
	int fd = bpf_obj_get(link_path), err;

	if (fd < 0)
		return -errno;
	err = bpf_link_detach(fd) ? -errno : 0;
	close(fd);
	if (unlink(link_path) && !err)
		err = -errno;
	return err;
}


const char *xdp_attached_name(__u8 mode)
{
	switch (mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "several modes";
	default:
		return "none";
	}
}

__u32 xdp_prog_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

int xdp_query(int ifindex, struct xdp_state *st)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err, fd;

	memset(st, 0, sizeof(*st));
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	st->mode = q.attach_mode;
	st->prog_id = q.prog_id ? q.prog_id
		    : q.drv_prog_id ? q.drv_prog_id
		    : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	if (!st->prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(st->prog_id);
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(st->name, sizeof(st->name), "%s", info.name);
	close(fd);
	return 0;
}

/* A program that passes every packet, to see which modes attach. */
static int pass_all_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xlb_doctor", "GPL", insns,
			     2, NULL);
}

/* Attaches the probe in one mode, never over another program, and takes
 * exactly that program off again. */
static bool mode_works(int ifindex, int fd, __u32 mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = fd);

	if (bpf_xdp_attach(ifindex, fd, mode_flag | XDP_FLAGS_UPDATE_IF_NOEXIST,
			   NULL))
		return false;
	bpf_xdp_detach(ifindex, mode_flag | XDP_FLAGS_REPLACE, &o);
	return true;
}

int xdp_probe_modes(int ifindex, bool *native, bool *generic)
{
	libbpf_print_fn_t old = libbpf_set_print(NULL);	/* failures expected */
	int fd = pass_all_prog();

	*native = *generic = false;
	if (fd >= 0) {
		*native = mode_works(ifindex, fd, XDP_FLAGS_DRV_MODE);
		if (!*native)
			*generic = mode_works(ifindex, fd, XDP_FLAGS_SKB_MODE);
		close(fd);
	}
	libbpf_set_print(old);
	return fd < 0 ? fd : 0;
}
