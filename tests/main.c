/* main.c — the test runner: runs every group, ends with "N passed, N failed". */
#include "test.h"

#include <stdlib.h>
#include <string.h>

int test_passed, test_failed;

const char *test_fixture_dir(void)
{
    const char *d = getenv("RECUR_FIXTURES");
    return d && *d ? d : "tests/fixtures";
}

#define TESTS(X)                                                              \
    X(test_safetensors_roundtrip)                                             \
    X(test_safetensors_hostile)                                               \
    X(test_safetensors_stale_temps)                                           \
    X(test_safetensors_fuzz)                                                  \
    X(test_parity_fixtures)                                                   \
    X(test_parity_batch_first)                                                \
    X(test_gradcheck)                                                         \
    X(test_regularizers)                                                      \
    X(test_api_misuse)                                                        \
    X(test_api_workspace)                                                     \
    X(test_api_pack_weights)                                                  \
    X(test_api_recompute)                                                     \
    X(test_api_save_load)                                                     \
    X(test_api_version)                                                       \
    X(test_layer_norm_api)                                                    \
    X(test_cli_forward_fixtures)                                              \
    X(test_cli_bad_inputs)                                                    \
    X(test_example)                                                           \
    X(test_embed_file)                                                        \
    X(test_embed_model)                                                       \
    X(test_embed_program)                                                     \
    X(test_text)                                                              \
    X(test_words)                                                             \
    X(test_pianoroll)                                                         \
    X(test_midi)                                                              \
    X(test_labeled)                                                           \
    X(test_classmetrics)                                                      \
    X(test_bow)                                                               \
    X(test_csv)                                                               \
    X(test_series)                                                            \
    X(test_dates)                                                             \
    X(test_sample)                                                            \
    X(test_optim_pytorch)                                                     \
    X(test_optim_misuse)                                                      \
    X(test_schedule)                                                          \
    X(test_clip)                                                              \
    X(test_lm_gradcheck)                                                      \
    X(test_lm_step_api)                                                       \
    X(test_lm_training)                                                       \
    X(test_lm_resume)                                                         \
    X(test_lm_evaluate_tail)                                                  \
    X(test_lm_regularizer_masks)                                              \
    X(test_lm_metadata_regs)                                                  \
    X(test_lm_public_config)                                                  \
    X(test_lm_read_sizes_backed)                                              \
    X(test_lm_layer_norm)                                                     \
    X(test_cli_train_run)                                                     \
    X(test_cli_train_bad_inputs)                                              \
    X(test_cli_bench)                                                         \
    X(test_cli_tasks_classify)                                                \
    X(test_cli_tasks_forecast)                                                \
    X(test_cli_tasks_music)                                                   \
    X(test_cli_tasks_help)                                                    \
    X(test_cli_inspect_info)                                                  \
    X(test_cli_inspect_gradients)                                             \
    X(test_cli_inspect_not_safetensors)                                       \
    X(test_cli_inspect_eval_forecast)                                         \
    X(test_cli_inspect_wrong_model)                                           \
    X(test_cli_inspect_help)                                                  \
    X(test_cli_inspect_commands)                                              \
    X(test_cli_inspect_messages)                                              \
    X(test_cli_inspect_metrics)                                               \
    X(test_cli_inspect_progress)                                              \
    X(test_cli_output_words)                                                  \
    X(test_cli_output_baselines)                                              \
    X(test_cli_output_plot)                                                   \
    X(test_cli_output_dates)                                                  \
    X(test_cli_signals_lm)                                                    \
    X(test_cli_signals_tasks)                                                 \
    X(test_cli_signals_lock)                                                  \
    X(test_cli_signals_default_save)                                          \
    X(test_vmath)                                                             \
    X(test_bigmem)                                                            \
    X(test_gemm_packed)                                                       \
    X(test_stream_step)                                                       \
    X(test_step_inputs)                                                       \
    X(test_parallel_directions)                                               \
    X(test_training_in_place)                                                 \
    X(test_inference_lean)                                                    \
    X(test_seqmodel_parity)                                                   \
    X(test_seqmodel_gradcheck)                                                \
    X(test_seqmodel_stream)                                                   \
    X(test_seqmodel_checkpoint)                                               \
    X(test_seqmodel_misuse)                                                   \
    X(test_fit)

#define DECLARE(name) void name(void);
TESTS(DECLARE)

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
#define ENTRY(name) {#name, name},
        TESTS(ENTRY)
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        /* With arguments, run only the groups whose names contain one. */
        int run = argc < 2;
        for (int a = 1; a < argc; a++)
            run |= strstr(tests[i].name, argv[a]) != NULL;
        if (!run)
            continue;
        int failed_before = test_failed, passed_before = test_passed;
        tests[i].fn();
        printf("%-28s %4d checks, %d failed\n", tests[i].name,
               test_passed - passed_before + test_failed - failed_before,
               test_failed - failed_before);
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
