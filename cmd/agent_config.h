/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's settings: built-in defaults, the configuration file
 * (/etc/default/flowstat: KEY=value lines that sh and systemd's
 * EnvironmentFile= read alike), and one-value setters for the command
 * line, so that a value is checked and means the same wherever it comes
 * from. Errors come back as one line of text; nothing here prints.
 *
 * Order of precedence: agent_config_defaults(), then the file, then the
 * command line. On SIGHUP the agent builds a new config the same way and
 * keeps the old one if anything fails: every call here leaves *c as it
 * was when it returns an error.
 */
#ifndef FLOWSTAT_AGENT_CONFIG_H
#define FLOWSTAT_AGENT_CONFIG_H

#include <stddef.h>

#define AGENT_CONFIG_PATH	"/etc/default/flowstat"
/* The listener the shipped file turns on; off when not asked for. */
#define AGENT_PROMETHEUS_ADDR	"127.0.0.1:9599"

#define AGENT_ACTIVE_TIMEOUT	60	/* seconds */
#define AGENT_IDLE_TIMEOUT	15
#define AGENT_TEMPLATE_REFRESH	60
#define AGENT_TIMEOUT_MAX	86400	/* a day: more is a typo */
/*
 * The largest IPFIX packet. 512 is the floor RFC 7011 (10.3.3) sets for
 * a path whose MTU is unknown; 65507 the largest UDP payload an IPv4
 * packet can carry (the message's 16-bit length could say 65535).
 */
#define AGENT_MTU		1400
#define AGENT_MTU_MIN		512
#define AGENT_MTU_MAX		65507
#define AGENT_CONFIG_MAX_BYTES	65536	/* a bigger file is not ours */
#define AGENT_MATCH_MAX		2048	/* MATCH_TEXT_MAX (common/flowstat.h) */

/* The file's keys; the command line sets them by these names too. */
enum agent_key {
	AGENT_KEY_INTERFACES,		/* IFACE... */
	AGENT_KEY_IPFIX,		/* --ipfix HOST:PORT (repeatable) */
	AGENT_KEY_PROMETHEUS,		/* --prometheus ADDR:PORT */
	AGENT_KEY_ACTIVE_TIMEOUT,	/* --active-timeout SEC */
	AGENT_KEY_IDLE_TIMEOUT,		/* --idle-timeout SEC */
	AGENT_KEY_TEMPLATE_REFRESH,	/* --template-refresh SEC */
	AGENT_KEY_MTU,			/* --mtu BYTES */
	AGENT_KEY_DOMAIN_ID,		/* --domain-id N */
	AGENT_KEY_PERSIST,		/* --persist */
	/* security signals' thresholds, by enum sig_kind (0: off) */
	AGENT_KEY_SIGNAL_NEW_FLOWS,
	AGENT_KEY_SIGNAL_HALF_OPEN,
	AGENT_KEY_SIGNAL_SCAN_PORTS,
	AGENT_KEY_SIGNAL_SCAN_HOSTS,
	AGENT_KEY_SIGNAL_FAN_IN,
	AGENT_KEY_MATCH,		/* --match EXPR */
	AGENT_KEY_SAMPLE,		/* --sample N|auto */
	AGENT_KEY_COUNT,
};

struct agent_config {
	char **ifnames;		/* none: the interfaces flowstat holds */
	int n_ifnames;
	char **ipfix;		/* "HOST:PORT" or "[IPV6]:PORT", as written */
	int n_ipfix;
	char prometheus[128];	/* "ADDR:PORT" to listen on; "" off */
	unsigned int active_timeout_s;
	unsigned int idle_timeout_s;
	unsigned int template_refresh_s;
	unsigned int mtu;
	long long domain_id;	/* 0..2^32-1; -1: one per interface */
	int persist;		/* 0 or 1 */
	unsigned int signal[5];	/* thresholds, by enum sig_kind; 0: off */
	/* attach --match for what the agent attaches; "": none. Checked
	 * (compiled) by the agent, not here. */
	char match[AGENT_MATCH_MAX];
	/* attach --sample for what the agent attaches: 1 in sample frames
	 * (0: every frame), or sample_auto */
	unsigned int sample;
	int sample_auto;
};

/* The built-in defaults; *c must hold nothing (new, or freed). */
void agent_config_defaults(struct agent_config *c);

/*
 * Apply the KEY=value lines of text (len bytes, need not end in NUL or
 * a newline) over *c. A later line of a key wins, as in sh; an empty
 * value is the built-in default (no interfaces, no collectors, no
 * listener, one domain per interface). 0, or -EINVAL with
 * "line N: KEY: reason" (-ENOMEM: "out of memory") in errbuf.
 */
int agent_config_parse(struct agent_config *c, const char *text, size_t len,
		       char *errbuf, size_t errlen);

/* The same for a file: "PATH: line N: KEY: reason", "PATH: strerror". */
int agent_config_load(struct agent_config *c, const char *path, char *errbuf,
		      size_t errlen);

/*
 * One key from elsewhere (the command line): value as it would stand
 * after the '=' once unquoted; a list key takes a whitespace-separated
 * list and replaces the list. 0, or -EINVAL with the reason alone in why
 * (the caller names the option).
 */
int agent_config_set(struct agent_config *c, enum agent_key key,
		     const char *value, char *why, size_t whylen);

/* Append one entry to a list key (INTERFACES, IPFIX); duplicates fail. */
int agent_config_add(struct agent_config *c, enum agent_key key,
		     const char *item, char *why, size_t whylen);

/* "FLOWSTAT_MTU" for AGENT_KEY_MTU; NULL out of range. */
const char *agent_config_key_name(enum agent_key key);

/* Free the lists; *c holds nothing afterwards (safe to call twice). */
void agent_config_free(struct agent_config *c);

#endif /* FLOWSTAT_AGENT_CONFIG_H */
