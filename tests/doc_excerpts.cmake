# The excerpts of maskviz output in the docs (README.md, docs/*.md) must be what the built maskviz
# prints: regenerate them with scripts/update-doc-excerpts.py after changing the output.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND AND TARGET maskviz)
  add_test(NAME doc_excerpts
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/../scripts/update-doc-excerpts.py
                   --check --maskviz $<TARGET_FILE:maskviz>)
  # The check itself must be able to fail: a drifted excerpt is caught, a regenerated one passes.
  add_test(NAME doc_excerpts_selftest
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/doc_excerpts_selftest.py
                   --maskviz $<TARGET_FILE:maskviz>)
else()
  message(STATUS "python3 not found: the doc excerpt checks are not registered")
endif()
