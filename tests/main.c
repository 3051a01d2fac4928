/*
 * main.c — the test runner: runs every group, layer by layer as tests/ is
 * laid out (tests/<layer>/test_<module>.c, the layers of src/ in the order
 * of tools/layers.sh, then api/ and cli/), or with arguments those whose
 * names contain one; a line per group with its checks, failures and skips;
 * then each skip again with its reason, and the closing line
 * "N passed, N failed, N skipped".
 */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int test_passed, test_failed, test_skipped;

/* The skips, for the list before the closing line: the group, the place
 * and the reason (the first MAX_SKIPS; the rest are counted). */
enum { MAX_SKIPS = 64 };
static struct {
    const char *group;
    char text[320];
} skips[MAX_SKIPS];
static const char *current_group = "";

void test_skip(const char *file, int line, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    printf("  SKIP %s:%d: %s\n", file, line, reason);
    fflush(stdout);
    if (test_skipped < MAX_SKIPS) {
        skips[test_skipped].group = current_group;
        snprintf(skips[test_skipped].text, sizeof skips[0].text, "%s:%d: %s",
                 file, line, reason);
    }
    test_skipped++;
}

const char *test_fixture_dir(void)
{
    const char *d = getenv("RECUR_FIXTURES");
    return d && *d ? d : "tests/fixtures";
}

int test_data_file(char *path, size_t size, const char *name)
{
    const char *dir = getenv("RECUR_DATA");
    snprintf(path, size, "%s/%s", dir && *dir ? dir : "data", name);
    return access(path, R_OK) == 0;
}

/* The groups, in the order of the layers (tools/layers.sh), each with the
 * folder of tests/ that holds it; then the public API and the CLI. */
#define TESTS(X)                                                              \
    X(base, test_bigmem)                                                      \
    X(base, test_file_stale_temps)                                            \
    X(kernels, test_vmath)                                                    \
    X(kernels, test_gemm_packed)                                              \
    X(kernels, test_gemm_packed_pair)                                         \
    X(io, test_safetensors_roundtrip)                                         \
    X(io, test_safetensors_hostile)                                           \
    X(io, test_safetensors_fuzz)                                              \
    X(io, test_csv)                                                           \
    X(cells, test_rnn_gradcheck)                                              \
    X(cells, test_lstm_gradcheck)                                             \
    X(cells, test_gru_gradcheck)                                              \
    X(stack, test_step_inputs)                                                \
    X(stack, test_parallel_directions)                                        \
    X(stack, test_training_in_place)                                          \
    X(stack, test_packed_rows)                                                \
    X(stack, test_inference_lean)                                             \
    X(stack, test_stream_step)                                                \
    X(stack, test_regularizers)                                               \
    X(stack, test_layer_norm_api)                                             \
    X(data, test_text)                                                        \
    X(data, test_words)                                                       \
    X(data, test_tokens)                                                      \
    X(data, test_labeled)                                                     \
    X(data, test_tagged)                                                      \
    X(data, test_split)                                                       \
    X(data, test_series)                                                      \
    X(data, test_dates)                                                       \
    X(data, test_pianoroll)                                                   \
    X(data, test_midi)                                                        \
    X(model, test_lm_gradcheck)                                               \
    X(model, test_lm_step_api)                                                \
    X(model, test_lm_regularizer_masks)                                       \
    X(model, test_lm_public_config)                                           \
    X(model, test_lm_metadata_regs)                                           \
    X(model, test_lm_read_sizes_backed)                                       \
    X(model, test_lm_layer_norm)                                              \
    X(model, test_crf_brute_force)                            \
    X(model, test_crf_gradcheck)                              \
    X(model, test_crf_viterbi_ties)                           \
    X(model, test_crf_accumulate)                             \
    X(model, test_crf_extreme)                                \
    X(model, test_crf_misuse)                                 \
    X(model, test_sample)                                                     \
    X(model, test_seqmodel_parity)                                            \
    X(model, test_seqmodel_gradcheck)                                         \
    X(model, test_seqmodel_stream)                                            \
    X(model, test_seqmodel_checkpoint)                                        \
    X(model, test_seqmodel_misuse)                                            \
    X(model, test_tagger_parity)                                          \
    X(model, test_tagger_gradcheck)                                       \
    X(model, test_tagger_dropout)                                         \
    X(model, test_tagger_workspace)                                       \
    X(model, test_tagger_repeated_forms)                                  \
    X(model, test_tagger_checkpoint)                                      \
    X(model, test_tagger_misuse)                                          \
    X(train, test_optim_pytorch)                                              \
    X(train, test_optim_misuse)                                               \
    X(train, test_clip)                                                       \
    X(train, test_schedule)                                                   \
    X(train, test_lm_training)                                                \
    X(train, test_lm_resume)                                                  \
    X(train, test_lm_evaluate_tail)                                           \
    X(train, test_fit)                                                        \
    X(train, test_fit_metric)                                                 \
    X(eval, test_classmetrics)                                                \
    X(eval, test_tagmetrics)                                                  \
    X(eval, test_bow)                                                         \
    X(api, test_api_misuse)                                                   \
    X(api, test_api_workspace)                                                \
    X(api, test_api_pack_weights)                                             \
    X(api, test_api_recompute)                                                \
    X(api, test_api_save_load)                                                \
    X(api, test_api_version)                                                  \
    X(api, test_parity_fixtures)                                              \
    X(api, test_parity_batch_first)                                           \
    X(api, test_example)                                                      \
    X(api, test_embed_file)                                                   \
    X(api, test_embed_model)                                                  \
    X(api, test_embed_program)                                                \
    X(cli, test_cli_forward_fixtures)                                         \
    X(cli, test_cli_bad_inputs)                                               \
    X(cli, test_cli_train_run)                                                \
    X(cli, test_cli_train_bad_inputs)                                         \
    X(cli, test_cli_tasks_classify)                                           \
    X(cli, test_cli_tasks_forecast)                                           \
    X(cli, test_cli_tasks_music)                                              \
    X(cli, test_cli_tasks_help)                                               \
    X(cli, test_cli_tag)                                                      \
    X(cli, test_cli_inspect_info)                                             \
    X(cli, test_cli_inspect_gradients)                                        \
    X(cli, test_cli_inspect_not_safetensors)                                  \
    X(cli, test_cli_inspect_eval_forecast)                                    \
    X(cli, test_cli_inspect_wrong_model)                                      \
    X(cli, test_cli_inspect_help)                                             \
    X(cli, test_cli_inspect_commands)                                         \
    X(cli, test_cli_inspect_messages)                                         \
    X(cli, test_cli_inspect_metrics)                                          \
    X(cli, test_cli_inspect_progress)                                         \
    X(cli, test_cli_output_words)                                             \
    X(cli, test_cli_output_baselines)                                         \
    X(cli, test_cli_output_plot)                                              \
    X(cli, test_cli_output_dates)                                             \
    X(cli, test_cli_signals_lm)                                               \
    X(cli, test_cli_signals_tasks)                                            \
    X(cli, test_cli_signals_lock)                                             \
    X(cli, test_cli_signals_default_save)                                     \
    X(cli, test_cli_bench)

#define DECLARE(layer, name) void name(void);
TESTS(DECLARE)

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
#define ENTRY(layer, name) {#layer "/" #name, name},
        TESTS(ENTRY)
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        /* With arguments, run only the groups whose names (folder/group)
         * contain one: `run_tests cells/ lstm` runs the cells' groups and
         * every group with lstm in its name. */
        int run = argc < 2;
        for (int a = 1; a < argc; a++)
            run |= strstr(tests[i].name, argv[a]) != NULL;
        if (!run)
            continue;
        int failed_before = test_failed, passed_before = test_passed;
        int skipped_before = test_skipped;
        current_group = tests[i].name;
        tests[i].fn();
        printf("%-32s %4d checks, %d failed", tests[i].name,
               test_passed - passed_before + test_failed - failed_before,
               test_failed - failed_before);
        if (test_skipped > skipped_before)
            printf(", %d skipped", test_skipped - skipped_before);
        putchar('\n');
        fflush(stdout);
    }
    if (test_skipped)
        printf("skipped, not tested here:\n");
    for (int i = 0; i < test_skipped && i < MAX_SKIPS; i++)
        printf("  %s: %s\n", skips[i].group, skips[i].text);
    if (test_skipped > MAX_SKIPS)
        printf("  and %d more\n", test_skipped - MAX_SKIPS);
    printf("%d passed, %d failed, %d skipped\n", test_passed, test_failed,
           test_skipped);
    return test_failed ? 1 : 0;
}
