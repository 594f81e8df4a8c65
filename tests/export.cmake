# `maskviz export`. tests/export_test.cpp calls the JSON writer in-process, so the test binary links the
# renderers; the checks a reader of the JSON would make are tests/check_export.py:
#   export_schema    every bundled scenario's export validates against docs/trace.schema.json
#   export_doc       the JSON excerpts of docs/trace-format.md are what maskviz exports
#   export_notebook  docs/notebooks/*.ipynb executes from top to bottom against this build's maskviz
# After a change to the trace: tests/check_export.py refresh --maskviz build/maskviz rewrites the excerpts,
# the notebook's outputs and the README's picture.
# They need Debian's python3-jsonschema, python3-numpy, python3-matplotlib, jupyter-nbconvert and
# python3-ipykernel (scripts/packages-test.txt). Debian's own python3 runs them when it is there: those
# packages live in it, not in another python3 that may come first on the PATH.
target_link_libraries(maskviz_tests PRIVATE maskviz_render)

find_program(MASKVIZ_DEBIAN_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(MASKVIZ_ANY_PYTHON3 NAMES python3)
set(maskviz_export_python ${MASKVIZ_DEBIAN_PYTHON3})
if(NOT maskviz_export_python)
  set(maskviz_export_python ${MASKVIZ_ANY_PYTHON3})
endif()
if(maskviz_export_python AND TARGET maskviz)
  add_test(NAME export_schema
           COMMAND ${maskviz_export_python} ${CMAKE_CURRENT_SOURCE_DIR}/check_export.py schema
                   --maskviz $<TARGET_FILE:maskviz>)
  add_test(NAME export_doc
           COMMAND ${maskviz_export_python} ${CMAKE_CURRENT_SOURCE_DIR}/check_export.py doc
                   --maskviz $<TARGET_FILE:maskviz>)
  add_test(NAME export_notebook
           COMMAND ${maskviz_export_python} ${CMAKE_CURRENT_SOURCE_DIR}/check_export.py notebook
                   --maskviz $<TARGET_FILE:maskviz>)
  set_tests_properties(export_schema export_doc export_notebook PROPERTIES TIMEOUT 600)
else()
  message(WARNING "python3 not found: the export schema and notebook checks are not registered")
endif()
