Feature: When an act is stated to have happened (办理时间)
  Every act carries the time it happened, as the officer states it, and the time it was recorded.
  An act cannot be stated in the future, before the case existed, or before the act it rests on
  (acceptance rests on receipt, service on the reply).

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And today is 2026-05-20 09:00
    And 伊州区信访局 registered case A on 2026-05-06
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-05-07
    And 伊州区住房和城乡建设局 signed for case A on 2026-05-08

  Scenario: An act entered days later keeps both the day it happened and the day it was recorded
    When 伊州区住房和城乡建设局 accepts case A on 2026-05-12
    Then case A shows the 受理 dated 2026-05-12, recorded on 2026-05-20

  Scenario: An acceptance stated for tomorrow is refused
    When 伊州区住房和城乡建设局 accepts case A on 2026-05-21
    Then the step is refused with "time.future"
    And nothing was recorded

  Scenario: A registration stated for tomorrow is refused
    When 伊州区信访局 registers case B on 2026-05-21
    Then the step is refused with "time.future"
    And nothing was recorded

  Scenario: An act stated before the case was registered is refused
    When 伊州区住房和城乡建设局 accepts case A on 2026-05-01
    Then the step is refused with "time.before_case"
    And nothing was recorded

  Scenario: An acceptance stated before the receipt it rests on is refused
    When 伊州区住房和城乡建设局 accepts case A on 2026-05-07 15:00
    Then the step is refused with "time.out_of_order"
    And nothing was recorded
