/* `mvm run` (runtime/run.c). */
#ifndef MVM_RUN_H
#define MVM_RUN_H

/* Runtime failures of `mvm run` (the workload's own status is passed through otherwise). */
enum {
	MVM_RUN_EXIT_USAGE = 121,
	MVM_RUN_EXIT_REFUSED = 122,  /* admission refused: no valid bundle, bad signature, replay, window */
	MVM_RUN_EXIT_AUDIT = 123,    /* an audit entry the launch depends on could not be written */
	MVM_RUN_EXIT_POSTURE = 124,  /* the posture is not the signed one: the workload never ran */
	MVM_RUN_EXIT_SETUP = 125,    /* no usable backend, tier below --require-tier, or setup failed */
};

int mvm_cmd_run(int argc, char **argv);
#endif
