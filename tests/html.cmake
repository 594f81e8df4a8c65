# `maskviz html` in a real browser: tests/check_html_page.py renders each bundled scenario's page in
# headless Chromium (Debian's chromium, scripts/packages-test.txt) and checks it from the rendered DOM: no
# script error, no network request, the masked steps drawn are the trace's masks, the values shown on
# hover are the exported ones (outputs, timeline states, attention weights, gradients), both runs are drawn. Without Chromium each test is skipped and says so.
find_program(MASKVIZ_CHROMIUM NAMES chromium chromium-headless-shell chromium-browser)
if(NOT MASKVIZ_CHROMIUM)
  set(MASKVIZ_CHROMIUM chromium)  # the check reports it missing and the test is skipped (77)
endif()
find_program(MASKVIZ_HTML_PYTHON3 NAMES python3)
if(MASKVIZ_HTML_PYTHON3 AND TARGET maskviz)
  add_test(NAME html_browser_self_test
           COMMAND ${MASKVIZ_HTML_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/check_html_page.py --self-test ${MASKVIZ_CHROMIUM}
                   ${CMAKE_CURRENT_BINARY_DIR}/html-self-test)
  set_tests_properties(html_browser_self_test PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS browser)
  file(GLOB maskviz_html_scenarios CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.json)
  foreach(scenario ${maskviz_html_scenarios})
    get_filename_component(name ${scenario} NAME_WE)
    add_test(NAME html_browser_${name}
             COMMAND ${MASKVIZ_HTML_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/check_html_page.py ${MASKVIZ_CHROMIUM}
                     $<TARGET_FILE:maskviz> ${scenario} ${CMAKE_CURRENT_BINARY_DIR}/html-pages)
    set_tests_properties(html_browser_${name} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77 LABELS browser)
  endforeach()
endif()
