Feature: Holiday notices (节假日安排通知)
  A last day that falls on a rest day moves to the next working day (民法典 203), so deadlines need
  each year's holidays. The built-in holiday data ends with 2026. When the State Council publishes
  the arrangement for a later year, the petition bureau loads it from a file, and the record says
  who loaded which file and when. Until then, deadlines in that year are provisional (待定): they
  accuse nobody, and they already step over the holidays the law itself fixes.
  The year 2031 below is a made-up test year: its file is a fixture, not a real notice.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file

  Rule: Before a year's notice is loaded, a last day never falls on a statutory holiday

    Scenario: A triage deadline that lands on New Year's Day 2027
      Given no holiday notice for 2027 has been loaded
      When 伊州区信访局 registers case A on 2026-12-17
      Then the 分流转办期限 of case A ends on 2027-01-04, 待定

    Scenario: A handling limit that ends in the 2027 Spring Festival
      Given no holiday notice for 2027 has been loaded
      And 伊州区住房和城乡建设局 registered case A on 2026-12-10
      When 伊州区住房和城乡建设局 accepts case A on 2026-12-10
      Then the 办理期限 of case A ends on 2027-02-11, 待定

  Rule: A loaded notice makes its year's deadlines final

    Scenario: The bureau loads the notice for 2031
      Given 伊州区信访局 registering a petition on 2031-01-13 would have until 2031-01-28, 待定
      When 吴敏 loads the holiday notice file "2031-fixture.yaml"
      Then the holidays of 2031 follow 测试夹具〔2030〕0号, loaded by 吴敏
      And 伊州区信访局 registering a petition on 2031-01-13 would have until 2031-01-30, final
      And 伊州区信访局 registering a petition on 2031-06-13 would have until 2031-06-30, final

    Scenario: Loading the same notice twice records it once
      Given 吴敏 loaded the holiday notice file "2031-fixture.yaml"
      When 吴敏 loads the holiday notice file "2031-fixture.yaml"
      Then nothing was recorded

  Rule: A notice with a mistake is refused and nothing is recorded

    Scenario Outline: <mistake>
      When 吴敏 loads the holiday notice file "bad/<file>"
      Then the load is refused with "<code>"
      And nothing was recorded

      Examples:
        | mistake                                          | file                          | code                         |
        | a file named for 2031 says 2032                  | 2031-wrong-year.yaml          | calendar.wrong_year          |
        | Saturday 2031-01-25 is both holiday and workday  | 2031-date-conflict.yaml       | calendar.date_conflict       |
        | Monday 2031-01-20 is listed as a 调休 working day | 2031-workday-not-weekend.yaml | calendar.workday_not_weekend |
        | New Year's break starts on 2030-12-30            | 2031-date-outside-year.yaml   | calendar.date_outside_year   |
        | the notice number is missing                     | 2031-missing-field.yaml       | calendar.bad_file            |

  Rule: A loaded year is corrected only on purpose, with a reason

    Scenario: A different notice for a loaded year is refused
      Given 吴敏 loaded the holiday notice file "2031-fixture.yaml"
      When 周强 loads the holiday notice file "2031-fixture-revised.yaml"
      Then the load is refused with "calendar.already_loaded"
      And nothing was recorded

    Scenario: A correction without a reason is refused
      Given 吴敏 loaded the holiday notice file "2031-fixture.yaml"
      When 周强 loads the holiday notice file "2031-fixture-revised.yaml" as a correction because ""
      Then the load is refused with "calendar.reason_required"
      And nothing was recorded

    Scenario: The head of the bureau corrects the Dragon Boat Festival of 2031
      Given 吴敏 loaded the holiday notice file "2031-fixture.yaml"
      When 周强 loads the holiday notice file "2031-fixture-revised.yaml" as a correction because "端午节安排更正"
      Then the holidays of 2031 follow 测试夹具〔2030〕1号, loaded by 周强
      And the correction of 2031 gives the reason "端午节安排更正" and replaces the file 吴敏 loaded
      And 伊州区信访局 registering a petition on 2031-06-13 would have until 2031-06-28, final
