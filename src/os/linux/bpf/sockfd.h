/*
 * The record format shared by the BPF iterator (sockfd.bpf.c) and its
 * reader (accel.c).  Change PA_SOCKFD_VERSION with any change of format or
 * meaning: the pin's name carries it, and readers refuse other versions.
 */
#ifndef PA_SOCKFD_H
#define PA_SOCKFD_H

/* No tgid reaches 2^22 (PID_MAX_LIMIT): the header cannot be a record. */
#define PA_SOCKFD_MAGIC 0x70616c63u /* "palc" */
#define PA_SOCKFD_VERSION 1u
#define PA_SOCKFD_PIN "sockfd-v1"

struct pa_sockfd_rec {
	__u32 tgid;
	__u32 fd;
	__u64 inode;
};

#endif
