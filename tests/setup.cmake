# The README's two commands (scripts/quickstart.sh, scripts/test.sh through scripts/setup.sh) with stub
# apt-get and cmake: what each installs and builds, and that both wait for the package manager's lock.
find_program(MASKVIZ_BASH bash)
if(MASKVIZ_BASH)
  add_test(NAME setup_scripts COMMAND ${MASKVIZ_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/check_setup.sh)
endif()
