# Embedding of data files (SQL migrations, JSON documents) into the binary.
#
# appui_embed(OUT_C SYMBOL FILE...) adds a rule producing OUT_C, a C file that
# defines `const struct embed_file SYMBOL[]` and `const size_t SYMBOL_count`
# (see core/embed.h), one entry per FILE in the order given, named by the
# file's base name. Rebuilt when any FILE changes.
set(APPUI_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_run.cmake)

function(appui_embed out_c symbol)
  set(files ${ARGN})
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_c} -DSYMBOL=${symbol}
            "-DINPUTS=${files}" -P ${APPUI_EMBED_SCRIPT}
    DEPENDS ${files} ${APPUI_EMBED_SCRIPT}
    COMMENT "Embedding ${symbol}"
    VERBATIM)
endfunction()
