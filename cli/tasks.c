/*
 * tasks.c — which code runs a command for which task. The language models
 * (charlm, wordlm) have their own commands (train.c, eval.c, sample.c);
 * the supervised tasks (seqtask.h) are reached from the same commands by
 * --task on the command line (train; sample, else the --model's task) or
 * by the task a checkpoint was trained for (eval, predict), so `recur eval
 * --model spam.safetensors --data x.tsv` does the right thing without
 * being told.
 */
#include "cli.h"
#include "seqtask.h"

#include <stdio.h>
#include <string.h>

typedef int (*command_fn)(int argc, char **argv);

static const struct {
    const char *task;
    command_fn train, eval, predict, sample;
} tasks[] = {
    {.task = "classify", .train = cmd_train_classify, .eval = cmd_eval_classify,
     .predict = cmd_predict_classify, .sample = NULL},
    {.task = "forecast", .train = cmd_train_forecast, .eval = NULL,
     .predict = cmd_predict_forecast, .sample = NULL},
    {.task = "music", .train = cmd_train_music, .eval = cmd_eval_music,
     .predict = NULL, .sample = cmd_sample_music},
};

int task_dispatch(const char *cmd, int argc, char **argv, int *rc)
{
    int by_model = !strcmp(cmd, "eval") || !strcmp(cmd, "predict");
    const char *task = by_model ? seqtask_model_task(argc, argv)
                                : seqtask_arg(argc, argv, "--task");
    /* `recur sample --model music.safetensors` without --task: the model's. */
    if (!task && !strcmp(cmd, "sample"))
        task = seqtask_model_task(argc, argv);
    for (size_t i = 0; task && i < sizeof tasks / sizeof *tasks; i++) {
        if (strcmp(task, tasks[i].task) != 0)
            continue;
        command_fn fn = !strcmp(cmd, "train")     ? tasks[i].train
                        : !strcmp(cmd, "eval")    ? tasks[i].eval
                        : !strcmp(cmd, "predict") ? tasks[i].predict
                                                  : tasks[i].sample;
        if (!fn) {
            cli_error(cmd, "there is no `recur %s` for task %s", cmd, task);
            *rc = EXIT_USAGE;
        } else {
            *rc = fn(argc, argv);
        }
        return 1;
    }
    return 0;
}

int cmd_predict(int argc, char **argv)
{
    int rc;
    if (task_dispatch("predict", argc, argv, &rc))
        return rc;
    const char *model = seqtask_arg(argc, argv, "--model");
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: recur predict --model PATH --data FILE [options]\n\n"
                   "Predictions of a classifier (a label and the class "
                   "probabilities per input line) or a forecaster (the steps "
                   "after the end of a series). The options depend on the "
                   "model's task: `recur predict --model PATH --help`.\n");
            return EXIT_OK;
        }
    if (!model)
        cli_error("predict", "--model PATH is required");
    else
        cli_error("predict", "%s: not a classifier's or forecaster's checkpoint "
                  "(or it cannot be read)", model);
    return model ? EXIT_FAILURE_DATA : EXIT_USAGE;
}
