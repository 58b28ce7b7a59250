# Writes the shell completion scripts with the built healthctl, so they hold
# exactly the commands and flags that binary declares: bash's as healthctl,
# zsh's as _healthctl, fish's as healthctl.fish, each under its final name
# only once complete.
#
#   cmake -DHEALTHCTL=path [-DEMULATOR=cmd] -DOUT_DIR=dir -P completions.cmake
foreach(pair "bash;healthctl" "zsh;_healthctl" "fish;healthctl.fish")
  list(GET pair 0 shell)
  list(GET pair 1 name)
  execute_process(COMMAND ${EMULATOR} ${HEALTHCTL} completion ${shell}
                  OUTPUT_FILE ${OUT_DIR}/${name}.tmp RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    file(REMOVE ${OUT_DIR}/${name}.tmp)
    message(FATAL_ERROR "healthctl completion ${shell} failed: ${status}")
  endif()
  file(RENAME ${OUT_DIR}/${name}.tmp ${OUT_DIR}/${name})
endforeach()
