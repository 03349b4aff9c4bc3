#include <stdio.h>
#include <histedit.h>
#include <editline/readline.h>

/* libedit's readline globals, set through functions (Swift cannot touch C globals safely). */
static inline void ale_set_completion(char **(*f)(const char *, int, int)) { rl_attempted_completion_function = f; }
static inline void ale_completion_over(void) { rl_attempted_completion_over = 1; }
static inline void ale_no_append(void) { rl_completion_append_character = 0; }
static inline void ale_set_name(const char *name) { rl_readline_name = name; }
/* The whole line being edited and the cursor's offset in it (completion needs the context). */
static inline const char *ale_line_buffer(void) { return rl_line_buffer; }
static inline int ale_point(void) { return rl_point; }
