# `maskviz export`. tests/export_test.cpp calls the JSON writer in-process, so the test binary links the
# renderers.
target_link_libraries(maskviz_tests PRIVATE maskviz_render)
