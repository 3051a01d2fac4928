/*
 * cli.h — the recur command-line tool's shared pieces. The CLI is the only
 * code that prints usage, talks to the terminal or exits; the library only
 * returns statuses.
 */
#ifndef RECUR_CLI_H
#define RECUR_CLI_H

#include "recur.h"

/* Exit statuses of every subcommand. */
enum { EXIT_OK = 0, EXIT_FAILURE_DATA = 1, EXIT_USAGE = 2 };

/* Prints "recur <cmd>: <message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The cell of a --cell choice (lstm, gru, gru_reset_before, rnn,
 * rnn_relu): 0, or -1 for another name. */
int cli_parse_cell(const char *cell, recur_mode *mode);
/* The --cell name of a mode ("lstm" for RECUR_LSTM); NULL for another
 * value. */
const char *cli_cell_name(recur_mode mode);

/* A file beside a checkpoint: "m.safetensors" + ".best" -> "m.best.safetensors"
 * (keep_ext) or "m.best" (not); other names get the suffix appended.
 * malloc'd (caller frees); NULL when out of memory. */
char *cli_beside(const char *path, const char *suffix, int keep_ext);

/* Word models: a figure over a text of which more than this share of
 * tokens (per cent) is out of the vocabulary gets a warning line. */
#define CLI_OOV_WARN_PERCENT 5.0

/* 100 part / whole; 0 when whole is 0. */
static inline double cli_percent(size_t part, size_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Prints the library's last error for a failed status. */
int cli_fail(const char *cmd, recur_status status);
/* Removes the temporary files an interrupted save of PATH left behind
 * (PATH.tmp.XXXXXX), saying so on stderr; a failure is only a warning. */
void cli_remove_stale_temps(const char *cmd, const char *path);

int cmd_forward(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_predict(int argc, char **argv);

/* Runs cmd for a supervised task when argv names one by --task or by the
 * --model checkpoint's task (tasks.c), or refuses a checkpoint cmd cannot
 * use: returns 1 with the exit status in *rc; 0 to go on with the language
 * models' command. */
int task_dispatch(const char *cmd, int argc, char **argv, int *rc);
/* What a task's checkpoints are: "a text classifier" for "classify"; NULL
 * for another task or NULL. */
const char *cli_task_noun(const char *task);
/* Refuses the checkpoint at path, of `task` (NULL: it has none), for cmd
 * (with --task given, or NULL): "PATH is a music model (task music); recur
 * predict needs a text classifier, a forecaster or a sequence tagger (task
 * classify, forecast or tag)". Returns EXIT_FAILURE_DATA. */
int cli_wrong_model(const char *cmd, const char *path, const char *task,
                    const char *given);

/* The supervised tasks (seqtask.h), reached from the commands above by
 * --task or by the --model checkpoint's task (eval, predict, sample). */
int cmd_train_music(int argc, char **argv);
int cmd_eval_music(int argc, char **argv);
int cmd_sample_music(int argc, char **argv);
int cmd_train_forecast(int argc, char **argv);
int cmd_eval_forecast(int argc, char **argv);
int cmd_predict_forecast(int argc, char **argv);
int cmd_train_classify(int argc, char **argv);
int cmd_eval_classify(int argc, char **argv);
int cmd_predict_classify(int argc, char **argv);
int cmd_train_tag(int argc, char **argv);
int cmd_eval_tag(int argc, char **argv);
int cmd_predict_tag(int argc, char **argv);

#endif
