/*
 * tasks.c — which code runs a command for which task. The language models
 * (charlm, wordlm) have their own commands (train.c, eval.c, sample.c);
 * the supervised tasks (seqtask.h) are reached from the same commands by
 * --task on the command line or, for eval, predict and sample, by the task
 * the --model checkpoint was trained for, so `recur eval --model
 * spam.safetensors --data x.tsv` does the right thing without being told.
 *
 * A checkpoint of the wrong kind is refused here, for every command alike,
 * saying what the file is and what the command needs: "m.safetensors is a
 * music model (task music); recur predict needs a text classifier or a
 * forecaster (task classify or forecast)".
 */
#include "cli.h"
#include "io/safetensors.h"
#include "seqtask.h"

#include <stdio.h>
#include <string.h>

typedef int (*command_fn)(int argc, char **argv);

/* Every task, what its checkpoints are, and its commands. A language
 * model's train, eval and sample are the generic commands themselves
 * (lm = 1); a NULL command of another task does not exist. */
static const struct {
    const char *task, *noun;
    int lm;
    command_fn train, eval, predict, sample;
} tasks[] = {
    {.task = "charlm", .noun = "a character language model", .lm = 1},
    {.task = "wordlm", .noun = "a word language model", .lm = 1},
    {.task = "classify", .noun = "a text classifier", .train = cmd_train_classify,
     .eval = cmd_eval_classify, .predict = cmd_predict_classify, .sample = NULL},
    {.task = "forecast", .noun = "a forecaster", .train = cmd_train_forecast,
     .eval = cmd_eval_forecast, .predict = cmd_predict_forecast, .sample = NULL},
    {.task = "music", .noun = "a music model", .train = cmd_train_music,
     .eval = cmd_eval_music, .predict = NULL, .sample = cmd_sample_music},
    {.task = "tag", .noun = "a sequence tagger", .train = cmd_train_tag,
     .eval = cmd_eval_tag, .predict = cmd_predict_tag, .sample = NULL},
};
enum { TASKS = sizeof tasks / sizeof *tasks };

static int task_index(const char *task)
{
    for (int i = 0; task && i < TASKS; i++)
        if (!strcmp(task, tasks[i].task))
            return i;
    return -1;
}

const char *cli_task_noun(const char *task)
{
    int i = task_index(task);
    return i < 0 ? NULL : tasks[i].noun;
}

/* Task i's command cmd: *fn the task's own (NULL for a language model's,
 * which is the generic command). 0 when the task has no such command. */
static int has_command(int i, const char *cmd, command_fn *fn)
{
    *fn = !strcmp(cmd, "train")     ? tasks[i].train
          : !strcmp(cmd, "eval")    ? tasks[i].eval
          : !strcmp(cmd, "predict") ? tasks[i].predict
                                    : tasks[i].sample;
    return *fn || (tasks[i].lm && strcmp(cmd, "predict") != 0);
}

/* "a text classifier or a forecaster (task classify or forecast)": the
 * checkpoints cmd takes (only `only` when it is a task), into buf. */
static void needs(const char *cmd, int only, char *buf, size_t size)
{
    int which[TASKS], n = 0;
    command_fn fn;
    for (int i = 0; i < TASKS; i++)
        if ((only < 0 || i == only) && has_command(i, cmd, &fn))
            which[n++] = i;
    size_t used = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            used += (size_t)snprintf(buf + used, size - used, " (task ");
        for (int k = 0; k < n && used < size; k++)
            used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                     k == 0 ? "" : k + 1 < n ? ", " : " or ",
                                     pass ? tasks[which[k]].task
                                          : tasks[which[k]].noun);
        if (used >= size)
            return;
    }
    snprintf(buf + used, size - used, ")");
}

int cli_wrong_model(const char *cmd, const char *path, const char *task,
                    const char *given)
{
    char need[400], is[200];
    needs(cmd, task_index(given), need, sizeof need);
    const char *noun = cli_task_noun(task);
    if (noun)
        snprintf(is, sizeof is, "is %s (task %s)", noun, task);
    else if (task)
        snprintf(is, sizeof is, "is a model of task '%.40s', which this "
                 "recur does not know", task);
    else
        snprintf(is, sizeof is, "has no task in its metadata: it is not a "
                 "checkpoint of recur train");
    cli_error(cmd, "%s %s; recur %s%s%s needs %s", path, is, cmd,
              given ? " --task " : "", given ? given : "", need);
    return EXIT_FAILURE_DATA;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

int task_dispatch(const char *cmd, int argc, char **argv, int *rc)
{
    const char *given = seqtask_arg(argc, argv, "--task");
    const char *path = seqtask_arg(argc, argv, "--model");
    /* The checkpoint's task, read from its header: *model_task stays empty
     * when the file has none; an unreadable file is left to the command,
     * whose reader says what is wrong with it. */
    char model_task[32] = "";
    int found = 0, readable = 0;
    if (strcmp(cmd, "train") != 0 && path)
        readable = st_peek_meta(path, "task", model_task, sizeof model_task,
                                &found) == RECUR_OK;
    int help = wants_help(argc, argv);
    const char *task = given ? given : found ? model_task : NULL;
    int i = task_index(task);
    command_fn fn;
    if (given && i >= 0 && !has_command(i, cmd, &fn)) {
        char need[400];
        needs(cmd, -1, need, sizeof need);
        cli_error(cmd, "there is no recur %s --task %s: recur %s is for %s",
                  cmd, given, cmd, need);
        *rc = EXIT_USAGE;
        return 1;
    }
    if (!help && readable && (!found || (given && strcmp(given, model_task)) ||
                              (i >= 0 && !has_command(i, cmd, &fn)) ||
                              task_index(model_task) < 0)) {
        /* Only a task cmd has, and the one --task names, will do. */
        if (!given || task_index(given) >= 0) {
            *rc = cli_wrong_model(cmd, path, found ? model_task : NULL, given);
            return 1;
        }
    }
    if (i < 0 || !has_command(i, cmd, &fn) || !fn)
        return 0; /* a language model's, or for the command to refuse */
    *rc = fn(argc, argv);
    return 1;
}

int cmd_predict(int argc, char **argv)
{
    int rc;
    if (task_dispatch("predict", argc, argv, &rc))
        return rc;
    const char *model = seqtask_arg(argc, argv, "--model");
    if (wants_help(argc, argv)) {
        printf("usage: recur predict --model PATH --data FILE [options]\n\n"
               "Predictions of a classifier (a label and the class "
               "probabilities per input line), a forecaster (the steps "
               "after the end of a series) or a tagger (a tag per token). "
               "The options depend on the task: `recur predict --task "
               "classify|forecast|tag --help`, or "
               "`recur predict --model PATH --help` for the model's.\n");
        return EXIT_OK;
    }
    const char *given = seqtask_arg(argc, argv, "--task");
    if (given) {
        cli_error("predict", "--task: '%s' is not one of classify|forecast|tag",
                  given);
        return EXIT_USAGE;
    }
    if (!model) {
        cli_error("predict", "--model PATH is required (see recur predict "
                  "--help)");
        return EXIT_USAGE;
    }
    /* Here the model could not be read: say why. */
    st_file *st = NULL;
    recur_status s = st_read(model, &st);
    st_free(st);
    return s ? cli_fail("predict", s) : cli_wrong_model("predict", model, NULL, NULL);
}
