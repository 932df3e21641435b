/* SPDX-License-Identifier: GPL-2.0 */
/* xlb doctor: checks a balancer's or a backend's setup, in plain words. */
#ifndef XLB_DOCTOR_H
#define XLB_DOCTOR_H

/* xlb doctor [-c FILE] [--pin-dir DIR] [--no-probe] [--backend VIP]... */
int do_doctor(int argc, char **argv);

#endif /* XLB_DOCTOR_H */
