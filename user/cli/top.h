/* SPDX-License-Identifier: GPL-2.0 */
/* Live views: xlb top, and the rates of xlb stats --interval. */
#ifndef XLB_CLI_TOP_H
#define XLB_CLI_TOP_H

/* xlb stats --interval: rates every interval seconds, count times (0:
 * until killed); for one VIP when vip is set. */
int stats_rates(const char *vip, double interval, long count);

#endif /* XLB_CLI_TOP_H */
