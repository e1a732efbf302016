/*
 * privopt.c: the options that describe a privilege, shared by `csr` (what
 * is asked for) and `sign` (what is granted): type, delegation type,
 * pathLen, description, auxiliary information, and every limit of certs
 * spec §2.2 with its optional '*' form.  They become the payloads of the
 * extensions 1.2.3.1 and 1.2.3.3, checked by the same decoder that reads
 * certificates, so nothing is written that PacketLab would refuse.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

enum {
	O_TYPE = PRIVOPT_BASE, O_DEL_TYPE, O_PATHLEN, O_DESC, O_INFO,
	O_MONITOR, O_MONITOR_PROG, O_FILTER, O_FILTER_PROG, O_LIMIT,
	O_OPTIONAL,
	O_LIM = PRIVOPT_BASE + 100,	/* + enum cred_lim */
};

const struct option privopt_longopts[] = {
	{ "type", required_argument, NULL, O_TYPE },
	{ "del-type", required_argument, NULL, O_DEL_TYPE },
	{ "pathlen", required_argument, NULL, O_PATHLEN },
	{ "desc", required_argument, NULL, O_DESC },
	{ "info", required_argument, NULL, O_INFO },
	{ "monitor", required_argument, NULL, O_MONITOR },
	{ "monitor-prog", required_argument, NULL, O_MONITOR_PROG },
	{ "filter", required_argument, NULL, O_FILTER },
	{ "filter-prog", required_argument, NULL, O_FILTER_PROG },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "optional", required_argument, NULL, O_OPTIONAL },
	{ "max-num-priority", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_NUM_PRIORITY },
	{ "max-socket-count", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_SOCKET_COUNT },
	{ "max-exp-period", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_EXP_PERIOD },
	{ "max-send-byte", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_SEND_BYTE },
	{ "max-send-pkt", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_SEND_PKT },
	{ "max-recv-byte", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_RECV_BYTE },
	{ "max-recv-pkt", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_RECV_PKT },
	{ "max-burst-rate-byte", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_BURST_RATE_BYTE },
	{ "max-burst-rate-pkt", required_argument, NULL,
	    O_LIM + CRED_LIM_MAX_BURST_RATE_PKT },
	{ "valid-dest", required_argument, NULL,
	    O_LIM + CRED_LIM_VALID_DEST },
	{ "src-ip-spoofing", required_argument, NULL,
	    O_LIM + CRED_LIM_SRC_IP_SPOOFING },
};
const size_t privopt_nlongopts = sizeof(privopt_longopts) /
    sizeof(privopt_longopts[0]);

const char privopt_help[] =
"Privilege (1.2.3.1):\n"
"  -t, --type TYPE           subcmd, pubcmd, exppriv, delpriv or agent\n"
"  --del-type LIST           delpriv only: exppriv, reppriv or both\n"
"                            (comma-separated)\n"
"  --pathlen N|none          exppriv/delpriv: how many delegations may\n"
"                            follow below\n"
"  --desc TEXT               cert_desc, a description\n"
"  --info NAME=VALUE         an auxiliary information pair (repeatable)\n"
"Limits (1.2.3.3, exppriv/delpriv only):\n"
"  --monitor HEX             allowed monitor program digest (repeatable)\n"
"  --monitor-prog FILE       ... computed from a program file (.wasm, or\n"
"                            eBPF text: no suffix or .ebpf)\n"
"  --filter HEX, --filter-prog FILE   filter program digests (ppksman's;\n"
"                            unused by PacketLab 1.1.0)\n"
"  --max-num-priority N      highest experiment priority\n"
"  --max-socket-count N      sockets open at once\n"
"  --max-exp-period NS       experiment run time, nanoseconds\n"
"  --max-send-byte N, --max-send-pkt N, --max-recv-byte N,\n"
"  --max-recv-pkt N          traffic budgets\n"
"  --max-burst-rate-byte C/W[,C/W...], --max-burst-rate-pkt C/W[,...]\n"
"                            at most C per sliding window of W ns\n"
"  --valid-dest A[/LEN][,...]  allowed destinations (IPv4/IPv6; written\n"
"                            as the network address: 10.0.0.1/8 becomes\n"
"                            10.0.0.0/8 so that 1.1.0 endpoints match it)\n"
"  --src-ip-spoofing 0|1     allow spoofed source addresses\n"
"  --limit NAME=VALUE        any other limit pair; \"*NAME\" is optional\n"
"  --optional NAME           mark limit NAME optional (written \"*NAME\":\n"
"                            a verifier that does not know it may ignore it);\n"
"                            only for names PacketLab does not know: 1.1.0\n"
"                            crashes on a known limit marked optional\n";

static void	 append(char **, const char *, const char *);
static void	 add_digest(struct privopt *, char **, const char *, int);
static void	 split_pair(struct privopt *, const char *, const char *,
		    char **, char **);
static void	 normalize_dest(struct cred_nvlist *, const char *);
static int	 crashes_110(const char *);

/* Why a known limit may not be written "*name" (certs spec §9.4). */
#define OPT_KNOWN_WHY	"PacketLab 1.1.0 endpoints and pktxpmgr crash (NULL " \
			"dereference) on a limit they know that is marked optional"

void
privopt_init(struct privopt *po, const char *cmd)
{
	memset(po, 0, sizeof(*po));
	po->cmd = cmd;
	po->type = CRED_UNKNOWN;
	po->pathlen = -2;
}

void
privopt_clear(struct privopt *po)
{
	size_t	 i;

	cred_nvlist_clear(&po->info);
	cred_nvlist_clear(&po->lim);
	free(po->monitor);
	free(po->filter);
	free(po->burst_byte);
	free(po->burst_pkt);
	free(po->valid_dest);
	for (i = 0; i < po->noptional; i++)
		free(po->optional[i]);
	free(po->optional);
	memset(po, 0, sizeof(*po));
}

int
privopt_handle(struct privopt *po, int opt, const char *arg)
{
	char		*name, *value;
	uint64_t	 v;
	int		 l;

	switch (opt) {
	case 't':
	case O_TYPE:
		if ((po->type = cred_type_parse(arg, strlen(arg))) ==
		    CRED_UNKNOWN)
			usage_fail(po->cmd, "--type %s: not subcmd, pubcmd, "
			    "exppriv, delpriv or agent", arg);
		return 1;
	case O_DEL_TYPE:
		po->del_type = arg;
		return 1;
	case O_PATHLEN:
		if (strcmp(arg, "none") == 0)
			po->pathlen = -1;
		else if (parse_uint(arg, 255, &v) < 0)
			usage_fail(po->cmd, "--pathlen %s: not 0..255 or none",
			    arg);
		else
			po->pathlen = (int)v;
		return 1;
	case O_DESC:
		cred_nvlist_set(&po->info, "cert_desc", 0, arg);
		return 1;
	case O_INFO:
		split_pair(po, "--info", arg, &name, &value);
		if (strcmp(name, "cert_type") == 0 ||
		    strcmp(name, "del_type") == 0 || name[0] == '*')
			usage_fail(po->cmd, "--info %s: use --type or "
			    "--del-type", arg);
		cred_nvlist_set(&po->info, name, 0, value);
		free(name);
		free(value);
		return 1;
	case O_LIMIT:
		split_pair(po, "--limit", arg, &name, &value);
		if (name[0] == '*' && crashes_110(name + 1))
			usage_fail(po->cmd, "--limit %s: %s; write it without '*'",
			    arg, OPT_KNOWN_WHY);
		cred_nvlist_set(&po->lim, name, 0, value);
		free(name);
		free(value);
		return 1;
	case O_OPTIONAL:
		if (crashes_110(arg))
			usage_fail(po->cmd, "--optional %s: %s", arg,
			    OPT_KNOWN_WHY);
		po->optional = xrealloc(po->optional, (po->noptional + 1) *
		    sizeof(*po->optional));
		po->optional[po->noptional++] = xstrdup(arg);
		return 1;
	case O_MONITOR:
	case O_MONITOR_PROG:
		add_digest(po, &po->monitor, arg, opt == O_MONITOR_PROG);
		return 1;
	case O_FILTER:
	case O_FILTER_PROG:
		add_digest(po, &po->filter, arg, opt == O_FILTER_PROG);
		return 1;
	}
	if (opt < O_LIM || opt >= O_LIM + CRED_LIM_NKNOWN)
		return 0;
	switch ((l = opt - O_LIM)) {
	case CRED_LIM_MAX_BURST_RATE_BYTE:
		append(&po->burst_byte, ",", arg);
		break;
	case CRED_LIM_MAX_BURST_RATE_PKT:
		append(&po->burst_pkt, ",", arg);
		break;
	case CRED_LIM_VALID_DEST:
		append(&po->valid_dest, ",", arg);
		break;
	default:
		cred_nvlist_set(&po->lim, cred_lim_name((enum cred_lim)l), 0,
		    arg);
	}
	return 1;
}

/*
 * A limit libpktlab 1.1.0 knows: written "*name" it makes 1.1.0's decoder
 * dereference NULL.  filter is ppksman's only, an auxiliary limit to 1.1.0.
 */
static int
crashes_110(const char *name)
{
	int	 l = cred_lim_parse(name, strlen(name));

	return l >= 0 && (CRED_LIM_KNOWN_110 & CRED_LIM_BIT(l)) != 0;
}

static void
append(char **s, const char *sep, const char *add)
{
	char	*n;

	n = *s == NULL ? xstrdup(add) : xasprintf("%s%s%s", *s, sep, add);
	free(*s);
	*s = n;
}

static void
split_pair(struct privopt *po, const char *opt, const char *arg, char **name,
    char **value)
{
	const char	*eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		usage_fail(po->cmd, "%s %s: not NAME=VALUE", opt, arg);
	*name = xstrndup(arg, (size_t)(eq - arg));
	*value = xstrdup(eq + 1);
}

static void
add_digest(struct privopt *po, char **list, const char *arg, int file)
{
	struct cred_err	 err;
	uint8_t		*prog, d[CRED_DIGEST_LEN];
	size_t		 len, i;
	char		 hex[2 * CRED_DIGEST_LEN + 1];

	if (file) {
		if (cred_prog_load(arg, &prog, &len, &err) < 0)
			fatalx("%s", err.msg);
		cred_prog_digest(prog, len, d);
		free(prog);
		pl_hex(d, sizeof(d), hex);
		log_info("%s: digest %s", arg, hex);
		append(list, "", hex);
		return;
	}
	len = strlen(arg);
	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF", arg[i]))
			break;
	if (len == 0 || len % (2 * CRED_DIGEST_LEN) != 0 || i != len)
		usage_fail(po->cmd, "%s: not a SHA-256 digest (64 hex digits)",
		    arg);
	append(list, "", arg);
}

/* valid_dest as network addresses, so 1.1.0 endpoints match them too. */
static void
normalize_dest(struct cred_nvlist *lim, const char *cmd)
{
	const struct cred_nv	*nv = cred_nvlist_get(lim, "valid_dest");
	struct cred_subnet	 sn;
	const char		*why, *p, *e;
	char			*out = NULL, *item, s[64];
	int			 opt;

	if (nv == NULL)
		return;
	opt = nv->optional;
	for (p = nv->value;; p = e + 1) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (cred_subnet_parse(p, (size_t)(e - p), &sn, &why) < 0)
			fatalx("%s: valid_dest \"%.*s\": %s", cmd,
			    (int)(e - p), p, why);
		cred_subnet_str(&sn, s, sizeof(s));
		if (sn.hostbits) {
			item = xstrndup(p, (size_t)(e - p));
			log_warnx("valid_dest %s written as %s (host bits "
			    "cleared so that PacketLab 1.1.0 endpoints match "
			    "it)", item, s);
			free(item);
		}
		append(&out, ",", s);
		if (*e == '\0')
			break;
	}
	cred_nvlist_set(lim, "valid_dest", opt, out);
	free(out);
}

void
privopt_finish(struct privopt *po, enum cred_type type,
    struct cred_nvlist *info, struct cred_nvlist *lim, char **info_text,
    char **limits_text)
{
	struct cred_info	 ci;
	struct cred_limits	 cl;
	struct cred_err		 err;
	const struct cred_nv	*nv;
	size_t			 i, len;

	/* 1.2.3.1 */
	cred_nvlist_set(info, "cert_type", 0, cred_type_name(type));
	if (type == CRED_DELPRIV) {
		if (po->del_type != NULL)
			cred_nvlist_set(info, "del_type", 0, po->del_type);
		if (cred_nvlist_get(info, "del_type") == NULL)
			usage_fail(po->cmd, "a delpriv certificate needs "
			    "--del-type exppriv, reppriv or exppriv,reppriv");
	} else {
		if (po->del_type != NULL)
			usage_fail(po->cmd, "--del-type is only for delpriv");
		if (cred_nvlist_del(info, "del_type"))
			log_warnx("dropping the request's del_type: %s %s "
			    "certificate has none", cred_an(cred_type_name(type)),
			    cred_type_name(type));
	}
	for (i = 0; i < po->info.n; i++)
		cred_nvlist_set(info, po->info.v[i].name, 0,
		    po->info.v[i].value);
	cred_nvlist_sort(info, 0);
	*info_text = cred_nvlist_text(info, &len);
	if (cred_info_parse(*info_text, len, "requested information", &ci,
	    &err) < 0)
		fatalx("%s", err.msg);
	cred_info_clear(&ci);

	/* 1.2.3.3 */
	for (i = 0; i < po->lim.n; i++)
		cred_nvlist_set(lim, po->lim.v[i].name, po->lim.v[i].optional,
		    po->lim.v[i].value);
	if (po->monitor != NULL)
		cred_nvlist_set(lim, "monitor", 0, po->monitor);
	if (po->filter != NULL)
		cred_nvlist_set(lim, "filter", 0, po->filter);
	if (po->burst_byte != NULL)
		cred_nvlist_set(lim, "max_burst_rate_byte", 0, po->burst_byte);
	if (po->burst_pkt != NULL)
		cred_nvlist_set(lim, "max_burst_rate_pkt", 0, po->burst_pkt);
	if (po->valid_dest != NULL)
		cred_nvlist_set(lim, "valid_dest", 0, po->valid_dest);
	for (i = 0; i < po->noptional; i++) {
		if ((nv = cred_nvlist_get(lim, po->optional[i])) == NULL)
			usage_fail(po->cmd, "--optional %s: no such limit is "
			    "given", po->optional[i]);
		cred_nvlist_set(lim, nv->name, 1, nv->value);
	}
	normalize_dest(lim, po->cmd);
	*limits_text = NULL;
	if (lim->n == 0)
		return;
	if (!cred_type_is_ca(type))
		usage_fail(po->cmd, "%s %s certificate cannot carry limits "
		    "(only exppriv and delpriv)", cred_an(cred_type_name(type)),
		    cred_type_name(type));
	cred_nvlist_sort(lim, 1);
	*limits_text = cred_nvlist_text(lim, &len);
	if (cred_limits_parse(*limits_text, len, "requested limits", &cl,
	    &err) < 0)
		fatalx("%s", err.msg);
	/* Only a request can still bring one: the options refuse it. */
	for (i = 0; i < lim->n; i++) {
		char	 opt[64], *c;

		if (!lim->v[i].optional || !crashes_110(lim->v[i].name))
			continue;
		pl_strlcpy(opt, lim->v[i].name, sizeof(opt));
		for (c = opt; *c != '\0'; c++)
			if (*c == '_')
				*c = '-';
		fatalx("the request asks for *%s: %s; give --%s to make it "
		    "mandatory", lim->v[i].name, OPT_KNOWN_WHY, opt);
	}
	cred_limits_clear(&cl);
}
