/* workflow — entry point of the BPMN engine library (see workflow.h). */
#include "workflow.h"

const char *workflow_default_process(void) { return "demande-appui"; }
