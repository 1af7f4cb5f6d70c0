/* workflow — entry point of the BPMN engine library (issue 3): parser,
 * engine, git store and migration will live beside this file. For now it
 * only names the default process every offer starts. */
#ifndef APPUI_WORKFLOW_H
#define APPUI_WORKFLOW_H

/* Id of the process run for requests whose offer names none. Static. */
const char *workflow_default_process(void);

#endif
