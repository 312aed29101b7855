/*
 * spank_xaas_site: accepts the sbatch/srun options that CSCS Alps adds through its own Slurm
 * plugins (--uenv, --view: the uenv plugin; --environment: the Container Engine) so that the
 * unchanged Alps profile and Parsl config are accepted by the emulated cluster, and records what
 * it received, one JSON line per job step, to the file named by the plugin argument
 * record=PATH (tests assert on it). It does nothing else: no image is mounted, no environment
 * is changed.
 *
 * Built at cluster start (scripts/start-slurm.sh) against libslurm-dev's <slurm/spank.h>.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/spank.h>

SPANK_PLUGIN(xaas_site, 1);

enum { OPT_UENV, OPT_VIEW, OPT_ENVIRONMENT, N_OPTS };
static const char *const names[N_OPTS] = {"uenv", "view", "environment"};
static char *values[N_OPTS];

static int take(int val, const char *optarg, int remote)
{
    (void)remote;
    if (val < 0 || val >= N_OPTS || optarg == NULL)
        return -1;
    free(values[val]);
    values[val] = strdup(optarg);
    return values[val] ? 0 : -1;
}

static struct spank_option options[] = {
    {"uenv", "image[:mount]", "uenv image(s) to mount (emulated: recorded only)", 1,
     OPT_UENV, take},
    {"view", "name", "uenv view(s) to load (emulated: recorded only)", 1, OPT_VIEW, take},
    {"environment", "edf", "Container Engine environment (emulated: recorded only)", 1,
     OPT_ENVIRONMENT, take},
    SPANK_OPTIONS_TABLE_END,
};

/* Registered here rather than through an exported spank_options table, which the allocator
 * context (sbatch) of Slurm 22.05 did not pick up. */
int slurm_spank_init(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    for (struct spank_option *o = options; o->name != NULL; o++)
        if (spank_option_register(sp, o) != ESPANK_SUCCESS)
            return -1;
    return 0;
}

/* Append s to out as a JSON string body (quotes, backslashes and control bytes escaped). */
static size_t json_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}

static const char *record_path(int ac, char **av)
{
    for (int i = 0; i < ac; i++)
        if (strncmp(av[i], "record=", 7) == 0)
            return av[i] + 7;
    return NULL;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    if (spank_context() != S_CTX_REMOTE)
        return 0;
    int any = 0;
    for (int i = 0; i < N_OPTS; i++)
        any |= values[i] != NULL;
    const char *path = record_path(ac, av);
    if (!any || path == NULL)
        return 0;

    uint32_t job = 0, step = 0;
    spank_get_item(sp, S_JOB_ID, &job);
    spank_get_item(sp, S_JOB_STEPID, &step);
    char host[256] = "";
    gethostname(host, sizeof host - 1);

    char line[8192], esc[2048];
    size_t n = (size_t)snprintf(line, sizeof line, "{\"job\": %u, \"step\": %u, \"host\": \"",
                                job, step);
    json_escape(esc, sizeof esc, host);
    n += (size_t)snprintf(line + n, sizeof line - n, "%s\"", esc);
    for (int i = 0; i < N_OPTS; i++) {
        if (values[i] == NULL)
            continue;
        json_escape(esc, sizeof esc, values[i]);
        n += (size_t)snprintf(line + n, sizeof line - n, ", \"%s\": \"%s\"", names[i], esc);
    }
    if (n > sizeof line - 3)
        n = sizeof line - 3;
    line[n++] = '}';
    line[n++] = '\n';

    /* One write(2) with O_APPEND: lines of concurrent steps on several nodes do not interleave. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) {
        slurm_error("spank_xaas_site: cannot open %s: %s", path, strerror(errno));
        return 0;
    }
    if (write(fd, line, n) != (ssize_t)n)
        slurm_error("spank_xaas_site: short write to %s", path);
    close(fd);
    return 0;
}
